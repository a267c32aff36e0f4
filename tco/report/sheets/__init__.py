"""One module per report sheet; each declares its columns (`TABLE`) and writes its rows."""
