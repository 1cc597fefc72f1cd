"""The public JSON API (/api/v1/) for the city's portal: the booking catalogue, free slots,
and holding, confirming and cancelling a visit."""
