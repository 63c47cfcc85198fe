"""The record core: models, rules, services, signing, rendering (never imports telegram).

pyhanko imports cryptography's DSA module, which warns on every start of every command that a
school's administrator can do nothing about; what a console prints must be the lines that
matter (a configuration that cannot work is one line, not one line under a library's warning).
The filter is set here, not in `bot`, because the worker pool's forkserver and workers import
pyhanko without importing `bot` (their warning reached `hocba verify`'s stderr).
"""

import warnings

warnings.filterwarnings("ignore", message="DSA is deprecated", module=r"pyhanko\.")
