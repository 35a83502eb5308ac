from pyingot.cli import main

raise SystemExit(main())
