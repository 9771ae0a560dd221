"""The built-in blocks, one module per family; each module lists its classes in `BLOCKS`."""
