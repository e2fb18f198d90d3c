"""Reports: briefings from report specs (``spec`` -> ``build`` -> ``document``, written by
``render`` as HTML, PDF and Markdown), and the trend charts they draw (``charts``), rendered
offline to SVG, PNG, JSON or self-contained HTML. See docs/reports.md and docs/charts.md."""
