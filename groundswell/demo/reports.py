"""The demo workspace's two briefings, as a user would declare them in groundswell.toml: the
weekly one the forum-monitoring team reads on Monday 15 June 2020, and the May 2020 monthly
that covers all four stories of PRODUCT.md. ``groundswell demo`` writes both."""

from __future__ import annotations

from datetime import datetime

WEEKLY_AS_OF = datetime(2020, 6, 15)  # Monday morning: week 24 is complete, June is not

DEMO_REPORT_METRICS = """
# -- Metrics the briefings add ----------------------------------------------------------------
[metrics.assign_by_priority]
description = "Mean minutes from queue to unit assignment, per month and call priority"
table = "calls"
measure = "mean"
duration = ["queued_at", "assigned_at"]
unit = "minutes"
period = "month"
timezone = "America/Chicago"
by = "priority"

[metrics.tess_followers]
description = "Followers of the creator tess.bakes (Instagram), highest snapshot per day"
table = "account_snapshots"
measure = "max"
column = "followers"
unit = "followers"
period = "day"
where = ["account = tess.bakes"]

[metrics.nova_daily]
description = "Posts naming the NOVA contract address per day, per platform source"
table = "indicators"
unit = "mentions"
period = "day"
by = "source"
where = ["kind = crypto", "value = 0x302DFaF2CDbE51a18d97186A7384e87CF599877D"]
"""

DEMO_REPORTS = """
# -- Briefings: groundswell report weekly | monthly (docs/reports.md) ----------------------------
[reports.weekly]
title = "Weekly briefing: forums, file hosts and the pandemic wave"
audience = "the forum-monitoring team and partner analysts. Synthetic demo data: no real people."
period = "last complete week"
as_of = 2020-06-15

[[reports.weekly.sections]]
kind = "text"
title = "This week in brief"
markdown = '''
This briefing is written by `groundswell report weekly` from the demo workspace, as the
team would have read it on **Monday 15 June 2020**. Every figure below is computed from the
posts and links stored in the workspace; the appendix says how, and the CSV files beside this
report hold the numbers behind every chart and table.

- Forum activity per day, with the days a site was down shown as gaps, not as quiet days.
- The pandemic wave in many languages, falling from its March peak.
- The file-sharing index for June so far, and the file hosts that went down in May.
'''

[[reports.weekly.sections]]
kind = "chart"
title = "Posts per day on each forum"
metrics = ["forum_posts"]
history = "8 weeks"

[[reports.weekly.sections]]
kind = "chart"
title = "The pandemic wave: posts per week naming the lexicon"
metrics = ["covid_weekly"]
history = "26 weeks"

[[reports.weekly.sections]]
kind = "table"
title = "The file-sharing index: links to .jpg files on clearnet hosts, per month"
metrics = ["file_sharing_index"]
periods = 6
note = "June is projected from its first two weeks."

[[reports.weekly.sections]]
kind = "chart"
title = "Links to .jpg files per week, by file host"
metrics = ["jpg_hosts"]
history = "16 weeks"

[[reports.weekly.sections]]
kind = "top"
title = "File hosts on the rise"
of = "host"
where = ["extension = jpg", "source = forum:Lantern Hall"]
order = "rising"
limit = 5

[[reports.weekly.sections]]
kind = "anomalies"
title = "What the detector flagged this week"
metrics = ["forum_posts", "covid_mentions", "jpg_hosts"]

[[reports.weekly.sections]]
kind = "excerpts"
title = "What members said about the pandemic"
search = "lockdown OR 疫情 OR коронавирус OR quarantaine"
limit = 5
sort = "newest"

[reports.monthly]
title = "Monthly briefing: May 2020"
audience = "the analysts of the four demo stories. Synthetic demo data: no real people."
period = "2020-05"

[[reports.monthly.sections]]
kind = "text"
title = "May in brief"
markdown = '''
Written by `groundswell report monthly` from the demo workspace. It covers the four stories
Groundswell is built for: the forum-monitoring team, the public-safety data journalist, the
creator analyst and the crypto due-diligence analyst. All data is synthetic.
'''

[[reports.monthly.sections]]
kind = "chart"
title = "Posts per day on each forum, over a year"
metrics = ["forum_posts"]

[[reports.monthly.sections]]
kind = "chart"
title = "The pandemic wave: posts per week naming the lexicon"
metrics = ["covid_weekly"]
history = "6 months"

[[reports.monthly.sections]]
kind = "returns"
title = "Members who came back after months away"
history = "18 months"

[[reports.monthly.sections]]
kind = "actors"
title = "The most active members of Lantern Hall"
source = "forum:Lantern Hall"
limit = 8

[[reports.monthly.sections]]
kind = "table"
title = "The file-sharing index per month"
metrics = ["file_sharing_index"]
periods = 6

[[reports.monthly.sections]]
kind = "chart"
title = "Links to .jpg files per week, by file host"
metrics = ["jpg_hosts"]
history = "6 months"

[[reports.monthly.sections]]
kind = "top"
title = "File hosts that lost the most links"
of = "host"
where = ["extension = jpg", "source = forum:Lantern Hall"]
order = "falling"
limit = 5

[[reports.monthly.sections]]
kind = "chart"
title = "Time to assign a unit to a priority 1 call"
metrics = ["p1_assign_minutes"]
baseline = "2019-01-01..2020-02-29"
history = "12 months"

[[reports.monthly.sections]]
kind = "table"
title = "Mean minutes to assign a unit, by priority"
metrics = ["assign_by_priority"]
periods = 6

[[reports.monthly.sections]]
kind = "creators"
title = "Creators of 50k to 500k followers, fastest growing first"
tier = "50k-500k"
sort = "growth"
limit = 5
history = "3 months"

[[reports.monthly.sections]]
kind = "chart"
title = "The NOVA token: posts naming its contract address, per day"
metrics = ["nova_daily"]
history = "6 weeks"

[[reports.monthly.sections]]
kind = "audit"
title = "Hype audit of the NOVA token"
entity = "0x302DFaF2CDbE51a18d97186A7384e87CF599877D"
events = { "airdrop opens" = 2020-05-26T13:00:00, "listing" = 2020-05-28 }
window = "10m"
note = "Is the buzz organic? Each signal is a share of the posts naming the contract."

[[reports.monthly.sections]]
kind = "top"
title = "Hashtags in the month"
of = "hashtag"
limit = 8

[[reports.monthly.sections]]
kind = "excerpts"
title = "Posts promoting the NOVA token"
search = "0x302DFaF2CDbE51a18d97186A7384e87CF599877D"
limit = 4
sort = "oldest"

[[reports.monthly.sections]]
kind = "anomalies"
title = "What the detector flagged in May"
metrics = ["forum_posts", "jpg_hosts", "p1_assign_minutes", "nova_daily"]
"""
