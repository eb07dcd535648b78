from cmdai.cli import main

raise SystemExit(main())
