"""The composition root: configuration, bootstrap, the Telegram application, the command line.

(A library warning every command would print is silenced in `core`, which every process of
ours imports, the worker pool's included.)
"""
