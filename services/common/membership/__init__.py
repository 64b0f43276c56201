"""Who belongs where, as the members service tells it: a projection every other service keeps.

The members service owns communities and memberships. Content, events and scoring each mount
these two tables in their own metadata (and so their own migrations), keep them from the
`huoli.members` events with `membership_handlers`, and guard their routes with `require_member`
and `require_role`. A community the caller does not belong to answers exactly like one that does
not exist (404), so strangers cannot even learn which communities there are.

The projection is eventually consistent: a community is known here once its owner's
`member.joined` has crossed the broker, a fraction of a second after it was created.
"""
