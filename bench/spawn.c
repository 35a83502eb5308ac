/*
 * spawn: run a command once, print its wall time and peak RSS.
 *
 *     spawn PROGRAM [ARG...]   ->   "<nanoseconds> <ru_maxrss KiB> <exit status>\n"
 *
 * The command's stdin, stdout and stderr are /dev/null. The clock starts just
 * before posix_spawn and stops when wait4 returns.
 *
 * Why a C program and not os.posix_spawn in the benchmark's Python: Linux
 * records, at execve, the peak RSS of the memory the new program replaces,
 * and glibc's posix_spawn shares the parent's memory until then (vfork). A
 * child of the benchmark's Python process therefore reports at least that
 * process's RSS (over 20 MiB), whatever it used itself. This program's own
 * RSS is a few hundred KiB: below any Python process, so the maximum that
 * ru_maxrss reports is the command's.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: spawn PROGRAM [ARG...]\n");
        return 2;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);

    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    pid_t pid;
    int err = posix_spawn(&pid, argv[1], &actions, NULL, argv + 1, environ);
    if (err != 0) {
        fprintf(stderr, "spawn: cannot run %s: error %d\n", argv[1], err);
        return 2;
    }
    int status;
    struct rusage usage;
    if (wait4(pid, &status, 0, &usage) < 0) {
        perror("spawn: wait4");
        return 2;
    }
    clock_gettime(CLOCK_MONOTONIC, &end);
    long long ns = (long long)(end.tv_sec - start.tv_sec) * 1000000000LL +
                   (end.tv_nsec - start.tv_nsec);
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    printf("%lld %ld %d\n", ns, usage.ru_maxrss, code);
    return 0;
}
