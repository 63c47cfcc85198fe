"""The demo: a realistic school to try the product on, and a test PKI to sign with.

Kept out of the product: nothing in bot/, handlers/, jobs/ or core/ imports it, except the
`hocba demo` command, which loads it when asked (bot.cli.cmd_demo); the tests and the
benchmarks use it to build their schools.
"""
