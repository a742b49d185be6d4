"""Response and request models, one module per resource."""
