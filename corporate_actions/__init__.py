"""Corporate actions: coupons, dividends, redemptions, splits, market claims and proxy voting
(DESIGN.md, Layout). Above ``issuance``, below ``settlement``: what it needs of settlement it
asks through ``corporate_actions.hooks``, which settlement fills in at start-up."""
