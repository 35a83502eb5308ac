"""The C libraries CPython links, built from pinned sources with the portable toolchain.

``model`` says what a recipe is, ``recipes`` holds the ten of them (pins, build
steps, licences), ``fetch`` gets and verifies their source files, ``unpack``
turns them into a patched tree, ``hide`` makes the archives' symbols invisible
outside the executable, ``build`` makes one library's cache entry and
``prefix`` builds what is missing and merges the entries into the one prefix a
CPython build compiles against (:func:`pyingot.distribution.libraries.prefix.build_all`).
"""
