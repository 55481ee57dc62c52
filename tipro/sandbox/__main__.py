"""`python -m tipro.sandbox` runs the sandbox like `tipro sandbox`."""

from .cli import sandbox_command

if __name__ == "__main__":
    sandbox_command(prog_name="python -m tipro.sandbox")
