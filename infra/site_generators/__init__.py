"""Build-time generators and steps of the site (see infra/mkdocs_hooks.py)."""
