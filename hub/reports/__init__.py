"""KPI reports and the service-quality index for supervisors."""
