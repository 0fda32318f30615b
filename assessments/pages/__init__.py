"""Page reads: one module per page (overview, ranking, scorecard, dealer home, submissions),
each returning one page object; `periods` is the month rule every page shares.

Every function that returns dealer-owned rows takes the user and starts from
`Model.objects.for_user(user)` (dealers.scoping): that is the only way pages reach data. Each
page costs a fixed number of queries, whatever the number of dealers.
"""
