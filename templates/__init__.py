"""Package data: the jinja2 templates code generation renders."""
