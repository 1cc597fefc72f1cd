"""KPI reports and the service-quality index, for supervisors.

/supervisor/reports       every KPI for a period (and a department), as charts and tables
/supervisor/reports.csv   the same figures as CSV (logged: report_exported)
/supervisor/quality       the service-quality index per department, with its parts
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from flask import Blueprint, Response, render_template, request
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from hub.accounts.models import Department
from hub.booking.slots import to_local
from hub.clock import utcnow
from hub.extensions import db
from hub.interactions.events import record
from hub.reports import present
from hub.reports.figures import BUCKETS, QA_BANDS, report
from hub.reports.quality import PARTS, quality_report
from hub.security import role_required

bp = Blueprint("reports", __name__, url_prefix="/supervisor")

DEFAULT_DAYS = 30
MAX_DAYS = 366


def _date_arg(name: str, default: date) -> date:
    try:
        return date.fromisoformat(request.args.get(name) or "")
    except ValueError:
        return default


def period() -> tuple[date, date, str | None]:
    """?from= and ?to= (local dates), by default the last 30 days ending today; an error
    (and the default) when the end is before the start or the period is over a year."""
    today = to_local(utcnow()).date()
    default = (today - timedelta(days=DEFAULT_DAYS - 1), today)
    first, last = _date_arg("from", default[0]), _date_arg("to", default[1])
    if last < first:
        return *default, _("The end of the period is before its start.")
    if (last - first).days > MAX_DAYS:
        return *default, _("Please choose a period of at most a year.")
    return first, last, None


def _departments() -> list[Department]:
    return list(db.session.scalars(
        select(Department).where(Department.active).order_by(Department.id)))


def _chosen(departments: list[Department]) -> Department | None:
    code = request.args.get("department", "")
    return next((d for d in departments if d.code == code), None)


def _day(day: date) -> str:
    return format_date(day, "d MMMM y")


@bp.get("/reports")
@role_required("supervisor")
def kpis():
    first, last, error = period()
    departments = _departments()
    department = _chosen(departments)
    figures = report(first, last, department)
    return render_template(
        "reports/kpis.html", report=figures, first=first, last=last, error=error,
        departments=departments, department=department, day=_day,
        charts=present.report_charts(figures), p=present, bucket_count=len(BUCKETS),
        band_count=len(QA_BANDS),
    )


@bp.get("/reports.csv")
@role_required("supervisor")
def export_csv():
    first, last, error = period()
    if error:
        return Response(error + "\n", status=400, mimetype="text/plain")
    department = _chosen(_departments())
    figures = report(first, last, department)
    out = io.StringIO()
    out.write("\ufeff")  # a BOM, so spreadsheets read the UTF-8 (Polish letters) right
    writer = csv.writer(out)
    writer.writerow(present.CSV_HEADER)
    for row in present.report_rows(figures):
        writer.writerow([present.safe_cell(cell) for cell in row])
    record(None, "report_exported", current_user._get_current_object(),
           first=first.isoformat(), last=last.isoformat(),
           department=department.code if department else None)
    db.session.commit()
    name = f"okienko-report-{first.isoformat()}-{last.isoformat()}"
    if department is not None:
        name += f"-{department.code}"
    return Response(out.getvalue(), mimetype="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{name}.csv"',
        "Cache-Control": "no-store",
    })


@bp.get("/quality")
@role_required("supervisor")
def quality():
    first, last, error = period()
    figures = quality_report(first, last)
    return render_template(
        "reports/quality.html", quality=figures, first=first, last=last, error=error,
        day=_day, p=present, parts=PARTS, chart=present.quality_chart(figures),
    )
