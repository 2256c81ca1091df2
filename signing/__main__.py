"""``python -m signing verify ...``: the offline verifier (see signing/offline.py);
``python -m signing log ...``: the transparency log's monitor and witness (see tlog/monitor.py)."""

import sys

from signing.offline import main
from tlog.monitor import main as log_main

raise SystemExit(log_main(sys.argv[2:]) if sys.argv[1:2] == ["log"] else main())
