"""Actors: profiles of who posts (``profiles``), their returns after long absences, cohorts and
concentration (``returns``, ``cohorts``, ``concentration``), alias candidates across sources
(``aliases``) and creator analytics from account snapshots and post engagement
(``creators``). See docs/actors.md."""
