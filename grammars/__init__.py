"""Package data: the Lark grammar of the smcat language (`smcat.lark`)."""
