"""When a department answers: weekly hours (several ranges a day allowed)."""

from __future__ import annotations

from datetime import time

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from hub.extensions import db


class DepartmentHours(db.Model):
    """One range of a weekday (0 = Monday) in the office's zone; a day may have several."""

    __tablename__ = "department_hours"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(
        ForeignKey("departments.id", ondelete="CASCADE"), index=True
    )
    weekday: Mapped[int]
    opens: Mapped[time]
    closes: Mapped[time]
