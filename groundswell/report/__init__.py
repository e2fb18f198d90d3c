"""Reports: trend charts in the house style (``charts``), rendered offline to SVG, PNG, JSON
or self-contained HTML; briefings built from them come later."""
