"""Backup policies (layer 4): the pure parts — the model, durations, schedules, retention.

Nothing here touches disk, the catalog or the network, so all of it is unit- and
property-tested in isolation; the service layer (service/policy_run.py, scheduler.py,
prune.py, health.py, drill.py, hooks.py, notify.py, policy_edit.py) puts it to work.

- `model`      Policy and its parts (ScheduleSpec, RetentionSpec, Hooks, NotifySpec)
- `durations`  Span (retention, restic syntax) and Interval (every, timeouts)
- `_parse`     `[[policy]]` tables -> Policy, with file:line:key errors
- `schedule`   when a policy is due: slots in local time, DST-safe, cron, every
- `retention`  one engine for every kind of restore point (and restic's --keep-* flags)
"""
