"""Who may call each route. Every route of the app must be listed here: the access
test fails on a route that is missing, so a new endpoint cannot ship unscoped.

Values: "public", or the tuple of roles allowed. Routes marked with SCOPED take
an asset of one commune: staff of another commune must get 404 there.
Other teams add their routes here as they add them to the app.

The province dimension (at the end): every route is also classified by how it keeps a
province to its own (OBJECT: another province's object answers 404; LISTED: another
province's objects are absent from the answer; NAMED_IN_BODY: a write naming a commune,
line or object of another province in its body is refused; NO_PROVINCE: holds no
province's data). The walk fails on a route that is not classified.
"""

# "national": the ministry, every province, read only.
ALL = ("admin", "finance", "planner", "staff", "accountant", "national")
ADMIN = ("admin",)
REGISTER_WRITE = ("admin", "staff")
FINANCE_READ = ("admin", "finance", "planner", "national")
FINANCE_WRITE = ("admin", "finance")
# Planning reports compare communes: planners and admins, finance reads; commune staff none.
PLANNING_READ = ("admin", "planner", "finance", "national")

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
    ("POST", "/api/users/{user_id:int}/unlock"): ADMIN,
    ("GET", "/api/users/{user_id:int}/tokens"): ADMIN,
    ("DELETE", "/api/users/{user_id:int}/tokens/{token_id:int}"): ADMIN,
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
    ("GET", "/api/assets/field-list"): REGISTER_WRITE,
    ("PATCH", "/api/assets/{asset_id:int}"): REGISTER_WRITE,
    ("POST", "/api/assets/{asset_id:int}/move"): REGISTER_WRITE,
    ("POST", "/api/assets/{asset_id:int}/condition"): REGISTER_WRITE,
    ("POST", "/api/assets/{asset_id:int}/stocktake"): REGISTER_WRITE,
    ("POST", "/api/assets/{asset_id:int}/not-found"): REGISTER_WRITE,
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
    # Finance data in from Excel (allocations of a line, payments of a treasury statement)
    ("POST", "/api/finance/lines/{line_id:int}/allocations/upload"): FINANCE_WRITE,
    ("GET", "/api/finance/lines/{line_id:int}/allocations/template"): FINANCE_WRITE,
    ("POST", "/api/finance/payments/upload"): FINANCE_WRITE,
    ("GET", "/api/finance/payments/template"): FINANCE_WRITE,
    ("GET", "/finance/uploads"): FINANCE_WRITE,
    ("POST", "/finance/uploads"): FINANCE_WRITE,
    ("POST", "/finance/uploads/commit"): FINANCE_WRITE,
    ("GET", "/finance/uploads/payments-template.xlsx"): FINANCE_WRITE,
    ("GET", "/finance/lines/{line_id:int}/allocations-template.xlsx"): FINANCE_WRITE,
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
    # Finance setup pages: lines, milestones, allocations and splits, packages, report downloads.
    ("GET", "/finance/lines"): FINANCE_READ,
    ("POST", "/finance/lines"): FINANCE_WRITE,
    ("GET", "/finance/lines/{line_id:int}"): FINANCE_READ,
    ("POST", "/finance/lines/{line_id:int}/sub-lines"): FINANCE_WRITE,
    ("POST", "/finance/lines/{line_id:int}/milestones"): FINANCE_WRITE,
    ("POST", "/finance/lines/{line_id:int}/allocations"): FINANCE_WRITE,
    ("POST", "/finance/lines/{line_id:int}/split"): FINANCE_WRITE,
    ("POST", "/finance/lines/{line_id:int}/split/confirm"): FINANCE_WRITE,
    ("POST", "/finance/lines/{line_id:int}/packages"): FINANCE_WRITE,
    # As POST /api/planning/plan/packages: admins and planners save a plan as packages.
    ("POST", "/finance/lines/{line_id:int}/plan-packages"): ("admin", "planner"),
    ("GET", "/finance/reports/{name:str}"): FINANCE_READ,
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
    ("GET", "/S/{tag:str}"): ALL,
    ("POST", "/S/{tag:str}"): REGISTER_WRITE,
    ("GET", "/stocktake"): REGISTER_WRITE,
    ("GET", "/sw.js"): "public",
    ("GET", "/field/{name:str}"): "public",
    ("GET", "/vocabulary.js"): "public",
    ("GET", "/labels"): REGISTER_WRITE,
    ("POST", "/labels"): REGISTER_WRITE,
    ("GET", "/planning"): PLANNING_READ,
    ("GET", "/planning/plan.csv"): PLANNING_READ,
    ("GET", "/planning/plan.xlsx"): PLANNING_READ,
    ("GET", "/planning/fleet"): PLANNING_READ,
    # The pages' downloads (the same files as the API's, page routes so that no page links to /api).
    ("GET", "/planning/priority.csv"): PLANNING_READ,
    ("GET", "/planning/priority.xlsx"): PLANNING_READ,
    ("GET", "/planning/shortage.csv"): PLANNING_READ,
    ("GET", "/planning/shortage.xlsx"): PLANNING_READ,
    ("GET", "/planning/fleet.csv"): PLANNING_READ,
    ("GET", "/planning/fleet.xlsx"): PLANNING_READ,
    ("GET", "/assets/export.xlsx"): ALL,
    ("GET", "/assets/export.csv"): ALL,
    ("GET", "/import/template.xlsx"): REGISTER_WRITE,
}

# Routes on one asset: staff of another commune must be told 404 (as if it did not exist).
SCOPED = {
    ("GET", "/api/assets/{asset_id:int}"),
    ("GET", "/api/assets/by-tag/{tag:str}"),
    ("PATCH", "/api/assets/{asset_id:int}"),
    ("POST", "/api/assets/{asset_id:int}/move"),
    ("POST", "/api/assets/{asset_id:int}/condition"),
    ("POST", "/api/assets/{asset_id:int}/stocktake"),
    ("POST", "/api/assets/{asset_id:int}/not-found"),
    ("GET", "/api/assets/{asset_id:int}/history"),
    ("GET", "/api/labels/{tag:str}/png"),
    ("GET", "/api/labels/{tag:str}/svg"),
    ("GET", "/s/{tag:str}"),
    ("GET", "/S/{tag:str}"),
}

# A body that passes validation for routes that need one, so the check reaches the rule.
BODIES: dict[tuple[str, str], dict] = {
    ("POST", "/api/assets/{asset_id:int}/move"): {"location": "office"},
    ("POST", "/api/assets/{asset_id:int}/condition"): {"condition": "fair"},
    ("POST", "/api/assets/{asset_id:int}/stocktake"): {},
    ("POST", "/api/assets/{asset_id:int}/not-found"): {},
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
        ("GET", "/import"): REGISTER_WRITE,
        ("POST", "/import"): REGISTER_WRITE,
        ("POST", "/import/commit"): REGISTER_WRITE,
        ("GET", "/admin/users"): ADMIN,
        ("POST", "/admin/users"): ADMIN,
        ("POST", "/admin/users/{user_id:int}"): ADMIN,
        ("POST", "/admin/users/{user_id:int}/unlock"): ADMIN,
    }
)
# A page showing one device answers another commune's staff like a missing page.
SCOPED |= {
    ("GET", "/assets/{asset_id:int}"),
    ("GET", "/assets/{asset_id:int}/edit"),
    ("GET", "/assets/{asset_id:int}/move"),
    ("GET", "/assets/{asset_id:int}/condition"),
}

# A device's life: warranty, repairs, hand-over, disposal files, reminders
ACCESS.update(
    {
        ("GET", "/api/assets/{asset_id:int}/warranty"): ALL,
        ("PUT", "/api/assets/{asset_id:int}/warranty"): ("admin", "staff", "finance"),
        ("GET", "/api/assets/{asset_id:int}/repairs"): ALL,
        ("POST", "/api/assets/{asset_id:int}/repairs"): REGISTER_WRITE,
        ("POST", "/api/assets/{asset_id:int}/handover"): REGISTER_WRITE,
        ("POST", "/api/assets/{asset_id:int}/handback"): REGISTER_WRITE,
        ("GET", "/api/holdings"): ALL,
        ("POST", "/api/assets/{asset_id:int}/disposal-files"): REGISTER_WRITE,
        ("GET", "/api/disposal-files/{file_id:int}"): ALL,
        ("POST", "/api/disposal-files/{file_id:int}/approve"): FINANCE_WRITE,
        ("POST", "/api/disposal-files/{file_id:int}/carry-out"): ADMIN,
        ("GET", "/api/disposal-files/{file_id:int}/minutes.pdf"): ALL,
        ("GET", "/api/reminders"): ALL,
        ("GET", "/api/transfers"): ALL,
        ("POST", "/api/transfers"): FINANCE_WRITE,
        ("GET", "/api/transfers/{transfer_id:int}"): ALL,
        ("POST", "/api/transfers/{transfer_id:int}/receive"): REGISTER_WRITE,
        ("GET", "/api/transfers/{transfer_id:int}/minutes.pdf"): ALL,
    }
)
SCOPED |= {
    ("GET", "/api/assets/{asset_id:int}/warranty"),
    ("PUT", "/api/assets/{asset_id:int}/warranty"),
    ("GET", "/api/assets/{asset_id:int}/repairs"),
    ("POST", "/api/assets/{asset_id:int}/repairs"),
    ("POST", "/api/assets/{asset_id:int}/handover"),
    ("POST", "/api/assets/{asset_id:int}/handback"),
    ("POST", "/api/assets/{asset_id:int}/disposal-files"),
}
BODIES.update(
    {
        ("PUT", "/api/assets/{asset_id:int}/warranty"): {"ends_on": "2030-01-01"},
        ("POST", "/api/assets/{asset_id:int}/repairs"): {"started_on": "2025-01-02"},
        ("POST", "/api/assets/{asset_id:int}/handover"): {"holder_name": "Lê Văn Ba", "handed_on": "2025-01-02"},
        ("POST", "/api/assets/{asset_id:int}/handback"): {"returned_on": "2025-01-03"},
        ("POST", "/api/assets/{asset_id:int}/disposal-files"): {"ground": "past_useful_life"},
        ("POST", "/api/disposal-files/{file_id:int}/approve"): {
            "decision_number": "12/QĐ",
            "decision_date": "2025-01-02",
        },
        ("POST", "/api/disposal-files/{file_id:int}/carry-out"): {"method": "sale", "carried_out_on": "2025-01-03"},
        ("POST", "/api/transfers"): {
            "decision_number": "1/QĐ",
            "decision_date": "2025-01-02",
            "from_commune": "26296",
            "to_commune": "26299",
            "all_devices": True,
        },
        ("POST", "/api/transfers/{transfer_id:int}/receive"): {"tag": "ABC-DEFG"},
    }
)

# Public property (tài sản công): commune accountants read their commune and print papers;
# finance and admin also close years and enter assessed values; only admin overrides a class.
PP_READ = ("admin", "finance", "accountant", "national")
PP_CLOSE = ("admin", "finance")
ACCESS.update(
    {
        ("GET", "/api/public-property/book"): PP_READ,
        ("GET", "/api/public-property/book.pdf"): PP_READ,
        ("GET", "/api/public-property/book.xlsx"): PP_READ,
        ("GET", "/api/public-property/summary"): PP_READ,
        ("GET", "/api/public-property/summary.pdf"): PP_READ,
        ("GET", "/api/public-property/summary.xlsx"): PP_READ,
        ("GET", "/api/public-property/closings"): PP_READ,
        ("POST", "/api/public-property/years/{year:int}/close"): PP_CLOSE,
        ("GET", "/api/public-property/cards/{asset_id:int}"): PP_READ,
        ("GET", "/api/public-property/cards/{asset_id:int}/pdf"): PP_READ,
        ("POST", "/api/public-property/assets/{asset_id:int}/valuation"): PP_CLOSE,
        ("POST", "/api/public-property/assets/{asset_id:int}/classification"): ADMIN,
        ("POST", "/api/public-property/stocktakes/{stocktake_id:int}/minutes"): (
            "admin",
            "finance",
            "accountant",
            "staff",
            "national",
        ),
        ("GET", "/public-property"): PP_READ,
        ("POST", "/public-property/close"): PP_CLOSE,
        # The page's downloads (the API's files, page routes so that no page links to /api).
        ("GET", "/public-property/book.pdf"): PP_READ,
        ("GET", "/public-property/book.xlsx"): PP_READ,
        ("GET", "/public-property/summary.pdf"): PP_READ,
        ("GET", "/public-property/summary.xlsx"): PP_READ,
        ("GET", "/assets/{asset_id:int}/card.pdf"): PP_READ,
    }
)
BODIES.update(
    {
        ("POST", "/api/public-property/years/{year:int}/close"): {"commune": "26296"},
        ("POST", "/api/public-property/assets/{asset_id:int}/valuation"): {
            "value_vnd": 1_000_000,
            "assessed_on": "2025-01-01",
            "basis": "kiểm tra quyền",
        },
        ("POST", "/api/public-property/assets/{asset_id:int}/classification"): {"kind": "tool", "reason": "kiểm tra"},
        ("POST", "/api/public-property/stocktakes/{stocktake_id:int}/minutes"): {"members": [{"name": "A"}]},
    }
)
MINUTES_READ = ("admin", "finance", "accountant", "staff", "national")
ACCESS.update(
    {
        ("GET", "/public-property/stocktakes/{stocktake_id:int}/minutes"): MINUTES_READ,
        ("POST", "/public-property/stocktakes/{stocktake_id:int}/minutes"): MINUTES_READ,
    }
)

# Contract set-up: supplier look-up, amendments, new contracts, deliveries and their labels (issue 12)
ACCESS.update(
    {
        ("GET", "/api/finance/suppliers"): FINANCE_READ,
        ("GET", "/api/finance/contracts/{contract_id:int}/amendments"): FINANCE_READ,
        ("POST", "/api/finance/contracts/{contract_id:int}/amendments"): FINANCE_WRITE,
        ("GET", "/finance/contracts/new"): FINANCE_WRITE,
        ("POST", "/finance/contracts/new"): FINANCE_WRITE,
        ("POST", "/finance/contracts/{contract_id:int}/amendments"): FINANCE_WRITE,
        ("POST", "/finance/contracts/{contract_id:int}/deliveries"): FINANCE_WRITE,
        ("GET", "/finance/deliveries/{delivery_id:int}/labels"): FINANCE_WRITE,
        ("POST", "/finance/deliveries/{delivery_id:int}/labels"): FINANCE_WRITE,
    }
)
# A device's life in pages: warranty, repairs, hand-over, disposal files, holdings, transfers, reminders
ACCESS.update(
    {
        ("GET", "/assets/{asset_id:int}/warranty"): ("admin", "staff", "finance"),
        ("POST", "/assets/{asset_id:int}/warranty"): ("admin", "staff", "finance"),
        ("GET", "/assets/{asset_id:int}/repairs"): ALL,
        ("POST", "/assets/{asset_id:int}/repairs"): REGISTER_WRITE,
        ("GET", "/assets/{asset_id:int}/handover"): REGISTER_WRITE,
        ("POST", "/assets/{asset_id:int}/handover"): REGISTER_WRITE,
        ("POST", "/assets/{asset_id:int}/handback"): REGISTER_WRITE,
        ("GET", "/assets/{asset_id:int}/disposal"): REGISTER_WRITE,
        ("POST", "/assets/{asset_id:int}/disposal"): REGISTER_WRITE,
        ("GET", "/disposal-files/{file_id:int}"): ALL,
        ("POST", "/disposal-files/{file_id:int}/approve"): FINANCE_WRITE,
        ("POST", "/disposal-files/{file_id:int}/carry-out"): ADMIN,
        ("GET", "/disposal-files/{file_id:int}/minutes.pdf"): ALL,
        ("GET", "/holdings"): ALL,
        ("GET", "/transfers"): ALL,
        ("GET", "/transfers/new"): FINANCE_WRITE,
        ("POST", "/transfers/new"): FINANCE_WRITE,
        ("GET", "/transfers/{transfer_id:int}"): ALL,
        ("GET", "/transfers/{transfer_id:int}/minutes.pdf"): ALL,
        ("GET", "/transfers/{transfer_id:int}/receive"): REGISTER_WRITE,
        ("POST", "/transfers/{transfer_id:int}/receive"): REGISTER_WRITE,
        ("GET", "/reminders"): ALL,
    }
)
# Pages of one device: another commune's staff are answered as for a missing page.
SCOPED |= {
    ("GET", "/assets/{asset_id:int}/warranty"),
    ("GET", "/assets/{asset_id:int}/repairs"),
    ("GET", "/assets/{asset_id:int}/handover"),
    ("GET", "/assets/{asset_id:int}/disposal"),
}
# Photos of a device (multipart upload; the walk sends FILES instead of a JSON body)
ACCESS.update(
    {
        ("POST", "/api/assets/{asset_id:int}/photos"): REGISTER_WRITE,
        ("GET", "/api/assets/{asset_id:int}/photos"): ALL,
        ("GET", "/api/assets/{asset_id:int}/photos/{photo_id:int}"): ALL,
        ("GET", "/assets/{asset_id:int}/photos/{photo_id:int}"): ALL,
    }
)
SCOPED |= {
    ("POST", "/api/assets/{asset_id:int}/photos"),
    ("GET", "/api/assets/{asset_id:int}/photos"),
}
# Multipart bodies: field name -> (file name, bytes, declared type).
FILES: dict[tuple[str, str], dict] = {}


def _photo_files() -> dict:
    from tests.support.images import image_bytes

    return {"file": ("anh.jpg", image_bytes(), "image/jpeg")}


FILES[("POST", "/api/assets/{asset_id:int}/photos")] = _photo_files()

# --- the province dimension ---------------------------------------------------------
# Each route once. OBJECT routes are walked with callers of another province (404 expected);
# LISTED routes with callers of another province (the objects of the first must be absent);
# NAMED_IN_BODY routes have their own tests (tests/app/api/test_province_scope.py).
OBJECT = {
    ("GET", "/S/{tag:str}"),
    ("POST", "/S/{tag:str}"),
    ("POST", "/admin/users/{user_id:int}"),
    ("POST", "/admin/users/{user_id:int}/unlock"),
    ("GET", "/api/assets/by-tag/{tag:str}"),
    ("GET", "/api/assets/{asset_id:int}"),
    ("PATCH", "/api/assets/{asset_id:int}"),
    ("POST", "/api/assets/{asset_id:int}/condition"),
    ("POST", "/api/assets/{asset_id:int}/disposal-files"),
    ("POST", "/api/assets/{asset_id:int}/handback"),
    ("POST", "/api/assets/{asset_id:int}/handover"),
    ("GET", "/api/assets/{asset_id:int}/history"),
    ("POST", "/api/assets/{asset_id:int}/move"),
    ("POST", "/api/assets/{asset_id:int}/not-found"),
    ("GET", "/api/assets/{asset_id:int}/repairs"),
    ("POST", "/api/assets/{asset_id:int}/repairs"),
    ("POST", "/api/assets/{asset_id:int}/stocktake"),
    ("GET", "/api/assets/{asset_id:int}/warranty"),
    ("PUT", "/api/assets/{asset_id:int}/warranty"),
    ("PATCH", "/api/communes/{code:str}"),
    ("GET", "/api/disposal-files/{file_id:int}"),
    ("POST", "/api/disposal-files/{file_id:int}/approve"),
    ("POST", "/api/disposal-files/{file_id:int}/carry-out"),
    ("GET", "/api/disposal-files/{file_id:int}/minutes.pdf"),
    ("GET", "/api/finance/contracts/{contract_id:int}"),
    ("POST", "/api/finance/contracts/{contract_id:int}/deliveries"),
    ("GET", "/api/finance/lines/{line_id:int}"),
    ("GET", "/api/finance/lines/{line_id:int}/allocations"),
    ("POST", "/api/finance/lines/{line_id:int}/allocations"),
    ("POST", "/api/finance/lines/{line_id:int}/allocations/split"),
    ("PUT", "/api/finance/lines/{line_id:int}/milestones"),
    ("GET", "/api/finance/packages/{package_id:int}"),
    ("POST", "/api/finance/packages/{package_id:int}/status"),
    ("POST", "/api/finance/payments/{payment_id:int}/reverse"),
    ("GET", "/api/labels/{tag:str}/png"),
    ("GET", "/api/labels/{tag:str}/svg"),
    ("POST", "/api/public-property/assets/{asset_id:int}/classification"),
    ("POST", "/api/public-property/assets/{asset_id:int}/valuation"),
    ("GET", "/api/public-property/cards/{asset_id:int}"),
    ("GET", "/api/public-property/cards/{asset_id:int}/pdf"),
    ("POST", "/api/public-property/stocktakes/{stocktake_id:int}/minutes"),
    ("GET", "/api/stocktakes/{stocktake_id:int}"),
    ("GET", "/api/stocktakes/{stocktake_id:int}/devices"),
    ("POST", "/api/stocktakes/{stocktake_id:int}/finish"),
    ("POST", "/api/stocktakes/{stocktake_id:int}/sync"),
    ("GET", "/api/transfers/{transfer_id:int}"),
    ("GET", "/api/transfers/{transfer_id:int}/minutes.pdf"),
    ("POST", "/api/transfers/{transfer_id:int}/receive"),
    ("GET", "/api/users/{user_id:int}"),
    ("PATCH", "/api/users/{user_id:int}"),
    ("GET", "/api/users/{user_id:int}/tokens"),
    ("DELETE", "/api/users/{user_id:int}/tokens/{token_id:int}"),
    ("POST", "/api/users/{user_id:int}/unlock"),
    ("GET", "/assets/{asset_id:int}"),
    ("GET", "/assets/{asset_id:int}/condition"),
    ("POST", "/assets/{asset_id:int}/condition"),
    ("GET", "/assets/{asset_id:int}/edit"),
    ("POST", "/assets/{asset_id:int}/edit"),
    ("GET", "/assets/{asset_id:int}/move"),
    ("POST", "/assets/{asset_id:int}/move"),
    ("GET", "/finance/contracts/{contract_id:int}"),
    ("POST", "/finance/contracts/{contract_id:int}/payments"),
    ("GET", "/finance/packages/{package_id:int}"),
    ("POST", "/finance/packages/{package_id:int}/status"),
    ("POST", "/finance/payments/{payment_id:int}/reverse"),
    ("GET", "/public-property/stocktakes/{stocktake_id:int}/minutes"),
    ("POST", "/public-property/stocktakes/{stocktake_id:int}/minutes"),
    ("GET", "/s/{tag:str}"),
    ("POST", "/s/{tag:str}"),
}
LISTED = {
    ("GET", "/admin/users"),
    ("GET", "/api/assets"),
    ("GET", "/api/assets/export"),
    ("GET", "/api/assets/field-list"),
    ("GET", "/api/finance/contracts"),
    ("GET", "/api/finance/lines"),
    ("GET", "/api/finance/packages"),
    ("GET", "/api/finance/payments"),
    ("GET", "/api/finance/reports/{report:str}"),
    ("GET", "/api/holdings"),
    ("GET", "/api/planning/fleet"),
    ("GET", "/api/planning/fleet.csv"),
    ("GET", "/api/planning/fleet.svg"),
    ("GET", "/api/planning/fleet.xlsx"),
    ("POST", "/api/planning/plan"),
    ("POST", "/api/planning/plan.csv"),
    ("POST", "/api/planning/plan.xlsx"),
    ("GET", "/api/planning/priority"),
    ("GET", "/api/planning/priority.csv"),
    ("GET", "/api/planning/priority.xlsx"),
    ("GET", "/api/planning/shortage"),
    ("GET", "/api/planning/shortage.csv"),
    ("GET", "/api/planning/shortage.svg"),
    ("GET", "/api/planning/shortage.xlsx"),
    ("GET", "/api/public-property/book"),
    ("GET", "/api/public-property/book.pdf"),
    ("GET", "/api/public-property/book.xlsx"),
    ("GET", "/api/public-property/closings"),
    ("GET", "/api/public-property/summary"),
    ("GET", "/api/public-property/summary.pdf"),
    ("GET", "/api/public-property/summary.xlsx"),
    ("GET", "/api/reminders"),
    ("GET", "/api/reports/stocktake-coverage"),
    ("GET", "/api/reports/stocktake-coverage/csv"),
    ("GET", "/api/reports/stocktake-coverage/xlsx"),
    ("GET", "/api/stocktakes"),
    ("GET", "/api/transfers"),
    ("GET", "/api/users"),
    ("GET", "/assets"),
    ("GET", "/finance"),
    ("GET", "/finance/contracts"),
    ("GET", "/finance/packages"),
    ("GET", "/planning"),
    ("GET", "/planning/fleet"),
    ("GET", "/planning/plan.csv"),
    ("GET", "/planning/plan.xlsx"),
    ("GET", "/public-property"),
}
NAMED_IN_BODY = {
    ("POST", "/admin/users"),
    ("POST", "/api/assets"),
    ("POST", "/api/finance/contracts"),
    ("POST", "/api/finance/lines"),
    ("POST", "/api/finance/packages"),
    ("POST", "/api/finance/payments"),
    ("POST", "/api/import/commit"),
    ("POST", "/api/import/dry-run"),
    ("POST", "/api/labels/sheet"),
    ("POST", "/api/planning/plan/packages"),
    ("POST", "/api/public-property/years/{year:int}/close"),
    ("POST", "/api/stocktakes"),
    ("POST", "/api/transfers"),
    ("POST", "/api/users"),
    ("POST", "/assets/new"),
    ("POST", "/import"),
    ("POST", "/import/commit"),
    ("POST", "/labels"),
    ("POST", "/public-property/close"),
}
NO_PROVINCE = {
    ("GET", "/"),
    ("POST", "/api/auth/login"),
    ("POST", "/api/auth/logout"),
    ("GET", "/api/auth/me"),
    ("GET", "/api/auth/tokens"),
    ("POST", "/api/auth/tokens"),
    ("DELETE", "/api/auth/tokens/{token_id:int}"),
    ("GET", "/api/categories"),
    ("PATCH", "/api/categories/{code:str}"),
    ("GET", "/api/communes"),
    ("GET", "/api/communes/{code:str}"),
    ("GET", "/api/health"),
    ("GET", "/api/import/template"),
    ("GET", "/api/provinces"),
    ("GET", "/api/provinces/{code:str}"),
    ("GET", "/assets/new"),
    ("GET", "/field/{name:str}"),
    ("GET", "/import"),
    ("GET", "/labels"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("POST", "/logout"),
    ("GET", "/s"),
    ("GET", "/static/{file_path:path}"),
    ("HEAD", "/static/{file_path:path}"),
    ("GET", "/stocktake"),
    ("GET", "/sw.js"),
    ("GET", "/vocabulary.js"),
}

# The province classes of the routes added beside the province work (finance set-up and uploads in
# pages, contract amendments and suppliers, a device's life in pages, photos).
OBJECT |= {
    ("GET", "/api/assets/{asset_id:int}/photos"),
    ("GET", "/api/assets/{asset_id:int}/photos/{photo_id:int}"),
    ("GET", "/api/finance/contracts/{contract_id:int}/amendments"),
    ("POST", "/api/finance/contracts/{contract_id:int}/amendments"),
    ("GET", "/api/finance/lines/{line_id:int}/allocations/template"),
    ("GET", "/assets/{asset_id:int}/disposal"),
    ("POST", "/assets/{asset_id:int}/disposal"),
    ("GET", "/assets/{asset_id:int}/handover"),
    ("POST", "/assets/{asset_id:int}/handover"),
    ("POST", "/assets/{asset_id:int}/handback"),
    ("GET", "/assets/{asset_id:int}/photos/{photo_id:int}"),
    ("GET", "/assets/{asset_id:int}/repairs"),
    ("POST", "/assets/{asset_id:int}/repairs"),
    ("GET", "/assets/{asset_id:int}/warranty"),
    ("POST", "/assets/{asset_id:int}/warranty"),
    ("GET", "/disposal-files/{file_id:int}"),
    ("GET", "/disposal-files/{file_id:int}/minutes.pdf"),
    ("POST", "/disposal-files/{file_id:int}/approve"),
    ("POST", "/disposal-files/{file_id:int}/carry-out"),
    ("GET", "/finance/deliveries/{delivery_id:int}/labels"),
    ("POST", "/finance/deliveries/{delivery_id:int}/labels"),
    ("POST", "/finance/contracts/{contract_id:int}/amendments"),
    ("POST", "/finance/contracts/{contract_id:int}/deliveries"),
    ("GET", "/finance/lines/{line_id:int}"),
    ("GET", "/finance/lines/{line_id:int}/allocations-template.xlsx"),
    ("POST", "/finance/lines/{line_id:int}/allocations"),
    ("POST", "/finance/lines/{line_id:int}/milestones"),
    ("POST", "/finance/lines/{line_id:int}/packages"),
    ("POST", "/finance/lines/{line_id:int}/plan-packages"),
    ("POST", "/finance/lines/{line_id:int}/split"),
    ("POST", "/finance/lines/{line_id:int}/split/confirm"),
    ("POST", "/finance/lines/{line_id:int}/sub-lines"),
    ("GET", "/transfers/{transfer_id:int}"),
    ("GET", "/transfers/{transfer_id:int}/minutes.pdf"),
    ("GET", "/transfers/{transfer_id:int}/receive"),
    ("POST", "/transfers/{transfer_id:int}/receive"),
}
LISTED |= {
    ("GET", "/finance/contracts/new"),
    ("GET", "/finance/lines"),
    ("GET", "/finance/reports/{name:str}"),
    ("GET", "/finance/uploads"),
    ("GET", "/holdings"),
    ("GET", "/reminders"),
    ("GET", "/transfers"),
    ("GET", "/transfers/new"),
}
# Multipart uploads name their objects (a device, a line, contracts) in the request: their own
# tests refuse another province's (tests/app/api/test_province_scope.py).
NAMED_IN_BODY |= {
    ("POST", "/api/assets/{asset_id:int}/photos"),
    ("POST", "/api/finance/lines/{line_id:int}/allocations/upload"),
    ("POST", "/api/finance/payments/upload"),
    ("POST", "/finance/contracts/new"),
    ("POST", "/finance/lines"),
    ("POST", "/finance/uploads"),
    ("POST", "/finance/uploads/commit"),
    ("POST", "/transfers/new"),
}
OBJECT |= {("GET", "/assets/{asset_id:int}/card.pdf")}
LISTED |= {
    ("GET", "/public-property/book.pdf"),
    ("GET", "/public-property/book.xlsx"),
    ("GET", "/public-property/summary.pdf"),
    ("GET", "/public-property/summary.xlsx"),
    ("GET", "/assets/export.csv"),
    ("GET", "/assets/export.xlsx"),
    ("GET", "/planning/fleet.csv"),
    ("GET", "/planning/fleet.xlsx"),
    ("GET", "/planning/priority.csv"),
    ("GET", "/planning/priority.xlsx"),
    ("GET", "/planning/shortage.csv"),
    ("GET", "/planning/shortage.xlsx"),
}
NO_PROVINCE |= {
    ("GET", "/import/template.xlsx"),  # the columns and the allowed values, no rows
    ("GET", "/api/finance/payments/template"),  # the columns of a treasury statement, no rows
    ("GET", "/api/finance/suppliers"),  # suppliers serve every province
    ("GET", "/finance/uploads/payments-template.xlsx"),
}
