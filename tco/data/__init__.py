"""The default catalog and the bundled template and example workbooks."""
