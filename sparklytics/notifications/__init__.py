"""Report subscriptions, alerts and their deliveries (API.md §1.14, §6).

One job per module:

* ``rules`` — the objects (subscription, alert, delivery) and the rules of their fields.
* ``targets`` — which e-mail addresses and webhook URLs are accepted, and which network
  addresses a webhook may reach.
* ``schedule`` — when a subscription runs next, on the wall clock of its time zone.
* ``alerts`` — the spike, drop and threshold arithmetic over a daily series.
* ``email`` — the message (HTML, plain text, JSON attachment) and its SMTP delivery.
* ``webhook`` — the signed POST, to the address resolved once and checked.
* ``notifier`` — runs what is due (the Scheduler's tick) and the "send test" requests,
  and records every attempt.
"""
