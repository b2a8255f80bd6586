"""The dashboards of issue 14 at four levels (child, class, school, board): the school-year summaries
they read (``summary``) and the views composed from them and the forms' documents (``views``); ADR 0043."""
