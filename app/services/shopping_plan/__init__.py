"""The year's promotions and a shopping plan: marketing's calendar (calendar), shoppers' wishes
(wishes), what each can pay today (offers), when to buy (plan, a pure function) and the
"time to buy" message sent once (notices)."""
