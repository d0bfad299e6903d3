"""The dashboard asset: a self-contained HTML page rebuilt after every publish."""

import dagster as dg

from datalabs_pipelines.dashboard.page import write_atomic
from datalabs_pipelines.dashboard.render import render_dashboard
from datalabs_pipelines.marts.declaration import all_declarations
from datalabs_pipelines.settings import get_settings

DASHBOARD_KEY = dg.AssetKey(["published", "platform", "dashboard"])
PAGE_NAME = "dashboard.html"
NOTHING_HELD_BACK = "nothing_held_back"
FAILING = ("stale", "blocked")  # not measurable is a valid deployment, not a failure


def build_dashboard_asset(snapshot: dg.AssetKey) -> dg.AssetsDefinition:
    @dg.asset(
        key=DASHBOARD_KEY,
        deps=[snapshot],
        group_name="published",
        kinds={"html", "python"},
        owners=["team:data_platform"],
        tags={"domain": "platform", "classification": "public"},
        check_specs=[
            dg.AssetCheckSpec(
                NOTHING_HELD_BACK,
                asset=DASHBOARD_KEY,
                blocking=True,
                description="No extract's staging candidate was rejected and no section is held "
                "back (stale) or blocked by an agreement. Evaluated after the page is written, "
                "so the page shows the banners and the run still ends failed.",
            )
        ],
    )
    def dashboard(context: dg.AssetExecutionContext):
        """The dashboard: procurement equity, safety net, workforce, education and data
        quality, as Plotly charts with plotly.js inlined. Source: the published snapshot only,
        opened read-only. Grain: one section per mart; a mart not yet published says so. Target:
        `data/published/dashboard.html`, replaced atomically."""
        settings = get_settings()
        html, summary = render_dashboard(settings.published_path, all_declarations())
        target = write_atomic(settings.published_dir / PAGE_NAME, html)
        context.log.info(
            f"wrote {target}: {len(summary.rendered)} sections, {summary.charts} charts; "
            f"not yet published: {', '.join(summary.missing) or 'none'}"
        )
        failing = {m: r for m, r in summary.not_fresh.items() if r.split(":")[0] in FAILING}
        failing |= {e: "staging candidate rejected" for e in summary.held_back}
        yield dg.MaterializeResult(
            metadata={
                "sections_not_fresh": dg.MetadataValue.json(summary.not_fresh),
                "path": dg.MetadataValue.path(str(target)),
                "url": dg.MetadataValue.url(target.as_uri()),
                "sections_rendered": ", ".join(summary.rendered) or "none",
                "not_yet_published": ", ".join(summary.missing) or "none",
                "charts": summary.charts,
                "suppressed_share": dg.MetadataValue.json(
                    {
                        mart: {"charts": round(c.fraction, 4), "whole_table": round(t.fraction, 4)}
                        for mart, (c, t) in summary.suppressed.items()
                        if t.cells
                    }
                ),
                "data_as_of": summary.as_of.isoformat(),
            }
        )
        yield dg.AssetCheckResult(
            check_name=NOTHING_HELD_BACK,
            passed=not failing,
            severity=dg.AssetCheckSeverity.ERROR,
            description="; ".join(f"{m}: {r}" for m, r in failing.items()) or None,
            metadata={"held_back_or_blocked": dg.MetadataValue.json(failing)},
        )

    return dashboard
