"""The click commands, one module each: options, help text and examples only.

They import click and cli/helptext.py, nothing else at start-up, so ``--help``,
``--version`` and shell completion answer at once; each command's body imports
the module that does the work (cli/batch.py, cli/run.py, …) when it runs."""
