"""Project pipelines: the pydantic model of a mine, refinery or recycling plant, and of a pipeline.

A pipeline is a list of candidate projects read from a CSV or YAML file
(:func:`friendshore.data.pipeline_files.read_pipeline_file`) and validated here
against the bundled catalogs (ISO3 countries, catalog minerals, the stages, the
known standards). Every error names the file, the line and the field.
:func:`load_pipeline` takes a file or the id of a shipped example
(``example-illustrative``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Final

import pandas as pd
import pydantic
from pydantic import AfterValidator, BeforeValidator, Field
from pydantic_core import ErrorDetails

from friendshore._core.errors import DataError
from friendshore.data.documents import Document, shipped_or_file
from friendshore.data.pipeline_files import read_pipeline_file, shipped_pipeline_paths
from friendshore.model.fields import STRICT, Country, MineralId, error_text

__all__ = [
    "PROJECT_COLUMNS",
    "STANDARDS",
    "Pipeline",
    "Project",
    "ProjectStage",
    "ProjectStatus",
    "load_pipeline",
    "pipeline_ids",
]

#: Responsible-sourcing and management standards a project may declare (``standards``).
STANDARDS: Final[dict[str, str]] = {
    "IRMA": "Initiative for Responsible Mining Assurance, Standard for Responsible Mining",
    "ISO14001": "ISO 14001 environmental management system",
    "ISO45001": "ISO 45001 occupational health and safety management",
    "ISO9001": "ISO 9001 quality management",
    "ISO50001": "ISO 50001 energy management",
    "TSM": "Mining Association of Canada, Towards Sustainable Mining",
    "ICMM": "International Council on Mining and Metals, Mining Principles",
    "RMAP": "Responsible Minerals Initiative, Responsible Minerals Assurance Process",
    "COPPERMARK": "The Copper Mark (and its Nickel, Zinc and Molybdenum Marks)",
    "ASI": "Aluminium Stewardship Initiative Performance Standard",
    "OECD-DDG": "OECD Due Diligence Guidance for Responsible Supply Chains of Minerals",
    "EU-BATTERY-DD": "EU Battery Regulation (2023/1542) supply-chain due diligence",
}

#: Columns of :meth:`Pipeline.to_frame`, in order (the file schema).
PROJECT_COLUMNS: Final[list[str]] = [
    "id",
    "name",
    "country",
    "mineral",
    "stage",
    "capacity_t_per_year",
    "basis",
    "capex_usd",
    "opex_usd_per_year",
    "earliest_start_year",
    "lead_time_years",
    "jobs_construction",
    "jobs_operation",
    "status",
    "standards",
    "source",
]


class ProjectStage(StrEnum):
    """Stage of a project: a mine, a processing plant (refinery, smelter) or a recycling plant."""

    MINING = "mining"
    PROCESSING = "processing"
    RECYCLING = "recycling"

    @property
    def supply_stage(self) -> str:
        """The supply-chain stage its output adds to: recycling yields processed material."""
        return "mining" if self is ProjectStage.MINING else "processing"


class ProjectStatus(StrEnum):
    """How far a project has come."""

    ANNOUNCED = "announced"
    FEASIBILITY = "feasibility"
    FINANCING = "financing"
    CONSTRUCTION = "construction"


def _split_standards(value: Any) -> Any:
    """``"IRMA;ISO14001"`` (CSV) or a YAML list → a list of upper-case codes."""
    if value is None:
        return []
    if isinstance(value, str):
        return [s.strip() for s in value.replace(",", ";").split(";") if s.strip()]
    return value


def _check_standards(values: list[str]) -> tuple[str, ...]:
    out = []
    for value in values:
        code = value.strip().upper().replace(" ", "")
        if code not in STANDARDS:
            raise ValueError(f"unknown standard {value!r}: use one of {', '.join(STANDARDS)}")
        out.append(code)
    return tuple(dict.fromkeys(out))


Standards = Annotated[
    tuple[str, ...],
    BeforeValidator(_split_standards),
    AfterValidator(lambda v: _check_standards(list(v))),
]


class Project(pydantic.BaseModel):
    """One candidate project of a pipeline (also the API body of one).

    Quantities: capacity in tonnes a year on ``basis`` (the catalog basis of the
    mineral and stage, e.g. contained lithium, REO equivalent), money in US
    dollars (capex: total investment; opex: a year of operation at capacity).
    """

    model_config = STRICT

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=80)
    name: str = Field(min_length=1)
    country: Country
    mineral: MineralId
    stage: ProjectStage
    capacity_t_per_year: float = Field(gt=0, description="t/yr at full output")
    basis: str = Field(min_length=1, description="what the tonnes measure")
    capex_usd: float = Field(ge=0, description="total investment, USD")
    opex_usd_per_year: float = Field(ge=0, description="operating cost a year, USD")
    earliest_start_year: int = Field(ge=2000, le=2100)
    lead_time_years: int = Field(ge=0, le=30, description="years from start to first output")
    jobs_construction: int = Field(ge=0)
    jobs_operation: int = Field(ge=0)
    status: ProjectStatus
    standards: Standards = ()
    source: str = Field(min_length=1, pattern=r"^[^\n]+$", description="one line: URL or citation")

    @property
    def online_year_min(self) -> int:
        """The earliest year the project can produce: ``earliest_start_year + lead_time_years``."""
        return self.earliest_start_year + self.lead_time_years


def _message(error: ErrorDetails) -> str:
    message = error_text(error)
    kind = error["type"]
    if kind == "missing":
        return "required field is missing (or empty)"
    if kind == "extra_forbidden":
        return f"unknown field (a typo?); the fields are {', '.join(PROJECT_COLUMNS)}"
    if kind == "enum":
        return f"{message}, got {error.get('input')!r}"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal"):
        return f"{message}, got {error.get('input')!r}"
    return message


def _line_of(doc: Document, index: int, name: str | None) -> int | None:
    """The line of field ``name`` of project ``index`` (the project's line if absent)."""
    loc = ("projects", index) if name is None else ("projects", index, name)
    return doc.locate(loc)[0]


@dataclass(frozen=True)
class Pipeline:
    """A validated project pipeline.

    Attributes
    ----------
    projects
        The projects, in file order; ids are unique.
    path
        The file read (``None`` for a pipeline built in code).
    header
        The file's header comment (CSV) or name and note (YAML).
    """

    projects: tuple[Project, ...]
    path: Path | None = None
    header: str = ""

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for p in self.projects:
            if p.id in seen:
                raise DataError(f"duplicate project id {p.id!r}", file=self.path, field="id")
            seen.add(p.id)

    @classmethod
    def from_document(cls, doc: Document) -> Pipeline:
        """Validate a pipeline file as read; errors name the file, line and field.

        Raises
        ------
        DataError
            The first invalid field (unknown country, mineral, stage or status,
            negative capex, a missing field …), with its file, line and field; a
            duplicate id; an empty pipeline.
        """
        if not doc.data["projects"]:
            raise DataError("the pipeline has no project", file=doc.path, line=1)
        projects: list[Project] = []
        first_line: dict[str, int | None] = {}
        for i, raw in enumerate(doc.data["projects"]):
            present = {k: v for k, v in raw.items() if v is not None}  # empty cell: missing
            try:
                project = Project.model_validate(present)
            except pydantic.ValidationError as exc:
                error = exc.errors()[0]
                name = str(error["loc"][0]) if error["loc"] else None
                more = len(exc.errors()) - 1
                suffix = f" (and {more} more in this project)" if more else ""
                raise DataError(
                    _message(error) + suffix,
                    file=doc.path,
                    line=_line_of(doc, i, name),
                    field=name,
                ) from None
            if project.id in first_line:
                raise DataError(
                    f"duplicate project id {project.id!r} (first at line {first_line[project.id]})",
                    file=doc.path,
                    line=_line_of(doc, i, "id"),
                    field="id",
                )
            first_line[project.id] = _line_of(doc, i, "id")
            projects.append(project)
        return cls(projects=tuple(projects), path=doc.path, header=doc.header)

    @classmethod
    def from_records(cls, records: Sequence[dict[str, Any]]) -> Pipeline:
        """Validate projects given as mappings (an API body, a test); errors name the field."""
        try:
            projects = tuple(Project.model_validate(r) for r in records)
        except pydantic.ValidationError as exc:
            error = exc.errors()[0]
            name = str(error["loc"][0]) if error["loc"] else None
            raise DataError(_message(error), field=name) from None
        return cls(projects=projects)

    def to_frame(self) -> pd.DataFrame:
        """One row per project, columns :data:`PROJECT_COLUMNS` (standards joined by ``;``)."""
        rows = []
        for p in self.projects:
            row = p.model_dump()
            row["stage"] = p.stage.value
            row["status"] = p.status.value
            row["standards"] = ";".join(p.standards)
            rows.append(row)
        frame = pd.DataFrame(rows, columns=PROJECT_COLUMNS)
        return frame.astype(
            {
                "capacity_t_per_year": "float64",
                "capex_usd": "float64",
                "opex_usd_per_year": "float64",
                "earliest_start_year": "int64",
                "lead_time_years": "int64",
                "jobs_construction": "int64",
                "jobs_operation": "int64",
            }
        )

    def __len__(self) -> int:
        return len(self.projects)


def pipeline_ids() -> list[str]:
    """Return the ids of the example pipelines shipped with the package, sorted."""
    return list(shipped_pipeline_paths())


def load_pipeline(name_or_path: str | Path) -> Pipeline:
    """Load and validate a pipeline: a shipped id (``example-illustrative``) or a file.

    Raises
    ------
    DataError
        If the file is malformed or invalid; the message names the file, the line
        and the field.
    InputError
        If ``name_or_path`` is neither a shipped id nor a file.
    """
    path = shipped_or_file(
        name_or_path,
        shipped_pipeline_paths(),
        what="pipeline",
        formats="CSV or YAML",
        suffixes=(".csv", ".yaml", ".yml"),
    )
    return Pipeline.from_document(read_pipeline_file(path))
