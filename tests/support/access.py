"""Who may call each route. Every route of the app must be listed here: the access
test fails on a route that is missing, so a new endpoint cannot ship unscoped.

Values: "public", or the tuple of roles allowed. Routes marked with SCOPED take
an asset of one commune: staff of another commune must get 404 there.
Other teams add their routes here as they add them to the app.
"""

ALL = ("admin", "finance", "planner", "staff")
ADMIN = ("admin",)
REGISTER_WRITE = ("admin", "staff")
FINANCE_READ = ("admin", "finance", "planner")
FINANCE_WRITE = ("admin", "finance")
# Planning reports compare communes: planners and admins, finance reads; commune staff none.
PLANNING_READ = ("admin", "planner", "finance")

ACCESS: dict[tuple[str, str], object] = {
    ("GET", "/api/health"): "public",
    ("POST", "/api/auth/login"): "public",
    ("POST", "/api/auth/logout"): ALL,
    ("GET", "/api/auth/me"): ALL,
    ("GET", "/api/auth/tokens"): ALL,
    ("POST", "/api/auth/tokens"): ALL,
    ("DELETE", "/api/auth/tokens/{token_id:int}"): ALL,
    ("GET", "/api/users"): ADMIN,
    ("POST", "/api/users"): ADMIN,
    ("GET", "/api/users/{user_id:int}"): ADMIN,
    ("PATCH", "/api/users/{user_id:int}"): ADMIN,
    ("GET", "/api/provinces"): ALL,
    ("GET", "/api/provinces/{code:str}"): ALL,
    ("GET", "/api/communes"): ALL,
    ("GET", "/api/communes/{code:str}"): ALL,
    ("PATCH", "/api/communes/{code:str}"): ADMIN,
    ("GET", "/api/categories"): ALL,
    ("PATCH", "/api/categories/{code:str}"): ADMIN,
    ("GET", "/api/assets"): ALL,
    ("POST", "/api/assets"): ("admin", "staff", "finance"),
    ("GET", "/api/assets/{asset_id:int}"): ALL,
    ("GET", "/api/assets/by-tag/{tag:str}"): ALL,
    ("PATCH", "/api/assets/{asset_id:int}"): REGISTER_WRITE,
    ("POST", "/api/assets/{asset_id:int}/move"): REGISTER_WRITE,
    ("POST", "/api/assets/{asset_id:int}/condition"): REGISTER_WRITE,
    ("POST", "/api/assets/{asset_id:int}/stocktake"): REGISTER_WRITE,
    ("POST", "/api/assets/{asset_id:int}/dispose"): REGISTER_WRITE,
    ("GET", "/api/assets/{asset_id:int}/history"): ALL,
    # Budgets, procurement, disbursement: finance and admin write, planners read.
    ("GET", "/api/finance/lines"): FINANCE_READ,
    ("POST", "/api/finance/lines"): FINANCE_WRITE,
    ("GET", "/api/finance/lines/{line_id:int}"): FINANCE_READ,
    ("PUT", "/api/finance/lines/{line_id:int}/milestones"): FINANCE_WRITE,
    ("GET", "/api/finance/lines/{line_id:int}/allocations"): FINANCE_READ,
    ("POST", "/api/finance/lines/{line_id:int}/allocations"): FINANCE_WRITE,
    ("POST", "/api/finance/lines/{line_id:int}/allocations/split"): FINANCE_WRITE,
    ("GET", "/api/finance/packages"): FINANCE_READ,
    ("POST", "/api/finance/packages"): FINANCE_WRITE,
    ("GET", "/api/finance/packages/{package_id:int}"): FINANCE_READ,
    ("POST", "/api/finance/packages/{package_id:int}/status"): FINANCE_WRITE,
    ("GET", "/api/finance/contracts"): FINANCE_READ,
    ("POST", "/api/finance/contracts"): FINANCE_WRITE,
    ("GET", "/api/finance/contracts/{contract_id:int}"): FINANCE_READ,
    ("POST", "/api/finance/contracts/{contract_id:int}/deliveries"): FINANCE_WRITE,
    ("GET", "/api/finance/payments"): FINANCE_READ,
    ("POST", "/api/finance/payments"): FINANCE_WRITE,
    ("POST", "/api/finance/payments/{payment_id:int}/reverse"): FINANCE_WRITE,
    ("GET", "/api/finance/reports/{report:str}"): FINANCE_READ,
    ("GET", "/api/planning/priority"): PLANNING_READ,
    ("GET", "/api/planning/priority.csv"): PLANNING_READ,
    ("GET", "/api/planning/priority.xlsx"): PLANNING_READ,
    ("GET", "/api/planning/shortage"): PLANNING_READ,
    ("GET", "/api/planning/shortage.csv"): PLANNING_READ,
    ("GET", "/api/planning/shortage.xlsx"): PLANNING_READ,
    ("GET", "/api/planning/shortage.svg"): PLANNING_READ,
    ("POST", "/api/planning/plan"): PLANNING_READ,
    ("POST", "/api/planning/plan.csv"): PLANNING_READ,
    ("POST", "/api/planning/plan.xlsx"): PLANNING_READ,
    ("POST", "/api/planning/plan/packages"): ("admin", "planner"),
    ("GET", "/api/planning/fleet"): PLANNING_READ,
    ("GET", "/api/planning/fleet.csv"): PLANNING_READ,
    ("GET", "/api/planning/fleet.xlsx"): PLANNING_READ,
    ("GET", "/api/planning/fleet.svg"): PLANNING_READ,
    # Pages
    ("GET", "/"): "public",
    ("GET", "/login"): "public",
    ("POST", "/login"): "public",
    ("POST", "/logout"): ALL,
    ("GET", "/static/{file_path:path}"): "public",
    ("HEAD", "/static/{file_path:path}"): "public",
    ("GET", "/assets"): ALL,
    ("GET", "/finance"): FINANCE_READ,
    ("GET", "/finance/contracts"): FINANCE_READ,
    ("GET", "/finance/packages"): FINANCE_READ,
    ("GET", "/finance/packages/{package_id:int}"): FINANCE_READ,
    ("POST", "/finance/packages/{package_id:int}/status"): FINANCE_WRITE,
    ("GET", "/finance/contracts/{contract_id:int}"): FINANCE_READ,
    ("POST", "/finance/contracts/{contract_id:int}/payments"): FINANCE_WRITE,
    ("POST", "/finance/payments/{payment_id:int}/reverse"): FINANCE_WRITE,
    # Labels, scan page, stocktakes
    ("POST", "/api/labels/sheet"): REGISTER_WRITE,
    ("GET", "/api/labels/{tag:str}/png"): REGISTER_WRITE,
    ("GET", "/api/labels/{tag:str}/svg"): REGISTER_WRITE,
    ("GET", "/api/stocktakes"): REGISTER_WRITE,
    ("POST", "/api/stocktakes"): REGISTER_WRITE,
    ("GET", "/api/stocktakes/{stocktake_id:int}"): REGISTER_WRITE,
    ("GET", "/api/stocktakes/{stocktake_id:int}/devices"): REGISTER_WRITE,
    ("POST", "/api/stocktakes/{stocktake_id:int}/sync"): REGISTER_WRITE,
    ("POST", "/api/stocktakes/{stocktake_id:int}/finish"): REGISTER_WRITE,
    ("GET", "/api/reports/stocktake-coverage"): ALL,
    ("GET", "/api/reports/stocktake-coverage/csv"): ALL,
    ("GET", "/api/reports/stocktake-coverage/xlsx"): ALL,
    ("GET", "/s"): ALL,
    ("GET", "/s/{tag:str}"): ALL,
    ("POST", "/s/{tag:str}"): REGISTER_WRITE,
    ("GET", "/stocktake"): REGISTER_WRITE,
    ("GET", "/sw.js"): "public",
    ("GET", "/vocabulary.js"): "public",
    ("GET", "/labels"): REGISTER_WRITE,
    ("POST", "/labels"): REGISTER_WRITE,
    ("GET", "/planning"): PLANNING_READ,
    ("GET", "/planning/plan.csv"): PLANNING_READ,
    ("GET", "/planning/plan.xlsx"): PLANNING_READ,
    ("GET", "/planning/fleet"): PLANNING_READ,
}

# Routes on one asset: staff of another commune must be told 404 (as if it did not exist).
SCOPED = {
    ("GET", "/api/assets/{asset_id:int}"),
    ("GET", "/api/assets/by-tag/{tag:str}"),
    ("PATCH", "/api/assets/{asset_id:int}"),
    ("POST", "/api/assets/{asset_id:int}/move"),
    ("POST", "/api/assets/{asset_id:int}/condition"),
    ("POST", "/api/assets/{asset_id:int}/stocktake"),
    ("POST", "/api/assets/{asset_id:int}/dispose"),
    ("GET", "/api/assets/{asset_id:int}/history"),
    ("GET", "/api/labels/{tag:str}/png"),
    ("GET", "/api/labels/{tag:str}/svg"),
    ("GET", "/s/{tag:str}"),
}

# A body that passes validation for routes that need one, so the check reaches the rule.
BODIES: dict[tuple[str, str], dict] = {
    ("POST", "/api/assets/{asset_id:int}/move"): {"location": "office"},
    ("POST", "/api/assets/{asset_id:int}/condition"): {"condition": "fair"},
    ("POST", "/api/assets/{asset_id:int}/stocktake"): {},
    ("POST", "/api/assets/{asset_id:int}/dispose"): {"reason": "kiểm tra quyền"},
    ("PATCH", "/api/assets/{asset_id:int}"): {"notes": "kiểm tra quyền"},
    ("POST", "/api/labels/sheet"): {"commune_code": "26296"},
    ("POST", "/api/stocktakes/{stocktake_id:int}/sync"): {"actions": []},
    ("POST", "/api/planning/plan"): {"budget_vnd": 100_000_000},
    ("POST", "/api/planning/plan.csv"): {"budget_vnd": 100_000_000},
    ("POST", "/api/planning/plan.xlsx"): {"budget_vnd": 100_000_000},
    ("POST", "/api/planning/plan/packages"): {"plan": {"budget_vnd": 100_000_000}, "line_id": 999999},
}

# Spreadsheet import and export
ACCESS.update(
    {
        ("GET", "/api/import/template"): REGISTER_WRITE,
        ("POST", "/api/import/dry-run"): REGISTER_WRITE,
        ("POST", "/api/import/commit"): REGISTER_WRITE,
        ("GET", "/api/assets/export"): ALL,
    }
)

# Register pages
ACCESS.update(
    {
        ("GET", "/assets/{asset_id:int}"): ALL,
        ("GET", "/assets/new"): ("admin", "staff", "finance"),
        ("POST", "/assets/new"): ("admin", "staff", "finance"),
        ("GET", "/assets/{asset_id:int}/edit"): REGISTER_WRITE,
        ("POST", "/assets/{asset_id:int}/edit"): REGISTER_WRITE,
        ("GET", "/assets/{asset_id:int}/move"): REGISTER_WRITE,
        ("POST", "/assets/{asset_id:int}/move"): REGISTER_WRITE,
        ("GET", "/assets/{asset_id:int}/condition"): REGISTER_WRITE,
        ("POST", "/assets/{asset_id:int}/condition"): REGISTER_WRITE,
        ("GET", "/assets/{asset_id:int}/dispose"): REGISTER_WRITE,
        ("POST", "/assets/{asset_id:int}/dispose"): REGISTER_WRITE,
        ("GET", "/import"): REGISTER_WRITE,
        ("POST", "/import"): REGISTER_WRITE,
        ("POST", "/import/commit"): REGISTER_WRITE,
        ("GET", "/admin/users"): ADMIN,
        ("POST", "/admin/users"): ADMIN,
        ("POST", "/admin/users/{user_id:int}"): ADMIN,
    }
)
# A page showing one device answers another commune's staff like a missing page.
SCOPED |= {
    ("GET", "/assets/{asset_id:int}"),
    ("GET", "/assets/{asset_id:int}/edit"),
    ("GET", "/assets/{asset_id:int}/move"),
    ("GET", "/assets/{asset_id:int}/condition"),
    ("GET", "/assets/{asset_id:int}/dispose"),
}
