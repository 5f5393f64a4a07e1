"""``python -m dataplatform.pipelines``: see :mod:`dataplatform.pipelines.cli`."""

import sys

from dataplatform.pipelines.cli import main

sys.exit(main())
