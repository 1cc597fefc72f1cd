"""Booking office visits: services and the documents they need, offices, slots, bookings."""
