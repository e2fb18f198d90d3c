"""The demo workspace's named metrics: the figures of the four stories in docs/../PRODUCT.md,
as a user would declare them in groundswell.toml."""

from __future__ import annotations

DEMO_METRICS = """
# -- Story 1: the underground-forum monitoring team -------------------------------------------
[metrics.forum_posts]
description = "Posts per day on each forum (a zero inside the scrape means the site was down)"
period = "day"
by = "source"
where = ["source startswith forum:"]

[metrics.lantern_sections]
description = "Posts per day in each section of Lantern Hall"
period = "day"
by = "section"
where = ["source = forum:Lantern Hall"]

[metrics.covid_mentions]
description = "Posts per day mentioning the pandemic lexicon, per source (quotes excluded)"
period = "day"
by = "source"
top = 6
where = ["lexicon = covid"]

[metrics.covid_weekly]
description = "Posts per week mentioning the pandemic lexicon, all sources (quotes excluded)"
period = "week"
where = ["lexicon = covid"]

[metrics.pandemic_search]
description = "Posts per week matching a full-text search for the pandemic words (quotes too)"
period = "week"
where = ['search = covid OR corona OR lockdown OR quarantaine OR 疫情 OR коронавирус OR karantina']

[metrics.file_sharing_index]
description = "Links to .jpg files on clearnet hosts, Lantern Hall, per month, not in quotes"
table = "indicators"
unit = "links"
period = "month"
where = ["source = forum:Lantern Hall", "kind = url", "extension = jpg", "network = clearnet",
         "in_quote = false"]

[metrics.jpg_hosts]
description = "Links to .jpg files per week and file host on Lantern Hall, not in quotes"
table = "indicators"
unit = "links"
period = "week"
by = "host"
top = 5
where = ["source = forum:Lantern Hall", "kind = url", "extension = jpg", "in_quote = false"]

[metrics.original_share]
description = "Share of Lantern Hall uploads (thread openers) tagged Original, per month"
period = "month"
where = ["source = forum:Lantern Hall", "section = Uploads", "title startswith [Set]"]
share = ["tags contains Original"]

[metrics.authors]
description = "Distinct authors per month on each source"
measure = "distinct"
column = "author_id"
period = "month"
by = "source"
top = 8

# -- Story 2: the data journalist on the public-safety desk ------------------------------------
[metrics.p1_assign_minutes]
description = "Mean minutes from queue to unit assignment, priority 1 calls, per week"
table = "calls"
measure = "mean"
duration = ["queued_at", "assigned_at"]
unit = "minutes"
period = "week"
timezone = "America/Chicago"
where = ["priority = 1"]

[metrics.p1_assign_p90]
description = "90th percentile minutes from queue to assignment, priority 1, per week and precinct"
table = "calls"
measure = "p90"
duration = ["queued_at", "assigned_at"]
unit = "minutes"
period = "week"
timezone = "America/Chicago"
by = "precinct"
where = ["priority = 1"]

[metrics.calls_per_week]
description = "Calls per week and precinct"
table = "calls"
period = "week"
timezone = "America/Chicago"
by = "precinct"

# -- Story 4: the crypto due-diligence analyst ------------------------------------------------
[metrics.nova_mentions]
description = "Posts naming the NOVA contract address per hour, per platform source"
table = "indicators"
period = "hour"
by = "source"
where = ["kind = crypto", "value = 0x302DFaF2CDbE51a18d97186A7384e87CF599877D"]
"""
