from checkapp.main import main

raise SystemExit(main())
