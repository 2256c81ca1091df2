"""``python -m signing verify ...``: the offline verifier (see signing/offline.py)."""

from signing.offline import main

raise SystemExit(main())
