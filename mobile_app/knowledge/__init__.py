"""Knowledge base: schema, loader, search and text renderings."""
