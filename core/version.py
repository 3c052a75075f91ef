"""The package version, in the core so every layer can name it (the routes'
/version answer) without importing the package root."""

__version__ = "0.1.0"
