"""What REST handlers and Socket.IO namespaces share: a request's work run once, announced, and
handed back as a typed result that the caller serialises.

Handlers (app/api, app/realtime) parse and validate, call one of these, and turn the result
into a response or an ack; nothing here sees HTTP or a socket. A shake over HTTP and a shake
over the socket are the same code, and so are arrivals.

shakes.py     a shake: admitted, decided by the draw engine, a won item sent to the courier
arrivals.py   the courier's "arrived" tap, once per event_id, and what it announces
orders.py     an order, once per Idempotency-Key, sent to the courier's pick list
store.py      a shopper in a store: the compound's live counts, pushed to its room
residence.py  where shoppers live, told to the draw engine (hints it may keep)
admission.py  how many shakes a worker takes on at once
"""
