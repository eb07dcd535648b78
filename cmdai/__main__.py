from cmdai.entry import main

raise SystemExit(main())
