"""Typed Tripletex calls TiPro needs, each fetching only the fields TiPro stores."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any, cast

from tipro.tripletex.errors import TripletexError
from tipro.tripletex.types import (
    Activity,
    Customer,
    Department,
    Division,
    Employee,
    Employment,
    HourlyCostAndRate,
    Invoice,
    ListResult,
    MonthlyStatus,
    NewOrder,
    NewOrderLine,
    NewSalaryProjectTypeSpecification,
    NewSalaryTransaction,
    NewSalaryTypeSpecification,
    NewTimesheetEntry,
    Order,
    OrderDetail,
    OrderLineDetail,
    Payslip,
    Product,
    Project,
    ProjectHourlyRate,
    SalaryProjectTypeSpecification,
    SalaryTransaction,
    SalaryType,
    SalaryTypeSpecification,
    Subscription,
    TimesheetEntry,
    VatType,
    Week,
    WhoAmI,
)

# `fields` per list: only ids, names, numbers, emails, dates, flags, version and needed references.
WHO_AM_I_FIELDS = (
    "employeeId,actualEmployeeId,companyId,language,employeeIsProxy,"
    "employee(id,firstName,lastName,email),company(id,name,organizationNumber)"
)
EMPLOYMENT_FIELDS = (
    "id,startDate,endDate,division(id,name),"
    "employmentDetails(date,employmentType,remunerationType,percentageOfFullTimeEquivalent)"
)
EMPLOYEE_FIELDS = (
    "id,version,firstName,lastName,displayName,employeeNumber,email,dateOfBirth,userType,"
    f"isContact,allowInformationRegistration,department(id),employments({EMPLOYMENT_FIELDS})"
)
HOURLY_COST_AND_RATE_FIELDS = "id,employee(id),date,rate,budgetRate,hourCostRate"
DEPARTMENT_FIELDS = "id,version,name,departmentNumber,isInactive,departmentManager(id)"
CUSTOMER_FIELDS = (
    "id,version,name,customerNumber,organizationNumber,email,invoiceEmail,isInactive,"
    "accountManager(id),department(id)"
)
PROJECT_FIELDS = (
    "id,version,name,number,displayName,startDate,endDate,isClosed,isInternal,isOffer,"
    "isFixedPrice,forParticipantsOnly,generalProjectActivitiesPerProjectOnly,"
    "customer(id,name),projectManager(id),department(id),mainProject(id),"
    "participants(id,employee(id),adminAccess),"
    "projectActivities(id,activity(id),startDate,endDate,isClosed,budgetHours)"
)
# The time sheet pickers only need what to show and what to send back.
PROJECT_PICKER_FIELDS = "id,name,number,displayName,customer(id,name)"
ACTIVITY_FIELDS = (
    "id,version,name,number,description,activityType,isProjectActivity,isGeneral,isTask,"
    "isDisabled,isChargeable,rate"
)
ACTIVITY_PICKER_FIELDS = "id,name,number,isChargeable"
SALARY_TYPE_FIELDS = "id,version,number,name,description,showInTimesheet"
PRODUCT_FIELDS = (
    "id,version,name,number,description,orderLineDescription,priceExcludingVatCurrency,"
    "priceIncludingVatCurrency,isInactive,vatType(id)"
)
VAT_TYPE_FIELDS = "id,name,number,percentage"
DIVISION_FIELDS = "id,name,organizationNumber,startDate,endDate"
HOURLY_RATE_FIELDS = (
    "id,version,project(id),startDate,hourlyRateModel,fixedRate,showInProjectOrder,"
    "projectSpecificRates(id,hourlyRate,hourlyCostPercentage,employee(id),activity(id))"
)
TIMESHEET_ENTRY_FIELDS = (
    "id,version,employee(id),project(id),activity(id),date,hours,chargeableHours,comment,"
    "locked,chargeable,hourlyRate"
)
SALARY_TYPE_SPEC_FIELDS = "id,version,employee(id),salaryType(id),date,count,description"
SALARY_SPEC_FIELDS = "id,salaryType(id),rate,count,amount,project(id),department(id),description"
PAYSLIP_FIELDS = (
    f"id,version,transaction(id),employee(id),date,year,month,grossAmount,amount,"
    f"specifications({SALARY_SPEC_FIELDS})"
)
SALARY_TRANSACTION_FIELDS = f"id,version,date,year,month,isHistorical,payslips({PAYSLIP_FIELDS})"
ORDER_FIELDS = (
    "id,version,number,customer(id),project(id),department(id),orderDate,deliveryDate,"
    "reference,invoiceComment,isClosed,"
    "orderLines(id,product(id),description,count,unitPriceExcludingVatCurrency,vatType(id),"
    "amountExcludingVatCurrency)"
)
MONTHLY_STATUS_FIELDS = (
    "id,employee(id),monthYear,completed,approved,approvedBy(id),approvedDate,approvedUntilDate"
)
SUBSCRIPTION_FIELDS = "id,version,event,targetUrl,fields,status,authHeaderName"
# Transfer read-backs: what reconciliation compares (keys, amounts, versions, lock state).
SALARY_PROJECT_TYPE_SPEC_FIELDS = (
    "id,version,employee(id),project(id),activity(id),salaryType(id),date,count,description,"
    "wagePayment(id)"
)
ORDER_LINE_DETAIL_FIELDS = (
    "id,version,order(id),product(id),description,count,unitPriceExcludingVatCurrency,"
    "unitPriceIncludingVatCurrency,discount,vatType(id),amountExcludingVatCurrency,"
    "amountIncludingVatCurrency,isCharged"
)
ORDER_DETAIL_FIELDS = (
    "id,version,number,customer(id),project(id),department(id),orderDate,deliveryDate,"
    f"reference,invoiceComment,deliveryComment,isClosed,orderLines({ORDER_LINE_DETAIL_FIELDS})"
)

# Documented maximum for /order/list; other /list endpoints are undocumented, so the same.
MAX_BATCH = 100
# Ids per request on "List of IDs" filters, to keep URLs short.
MAX_IDS_PER_CALL = 100


def _ids(value: int | Sequence[int] | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, int):
        return str(value)
    if not value:
        # Tripletex reads an empty id list as "no filter" (or, for months, "the token owner").
        raise ValueError("an empty list of ids would match everything")
    return ",".join(str(v) for v in value)


def _month_year(value: str | date) -> str:
    return value.strftime("%Y-%m") if isinstance(value, date) else value


def _chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


class TripletexApi:
    """The calls TiPro makes; mixed into TripletexClient, which supplies the HTTP methods."""

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """GET returning the decoded body."""
        raise NotImplementedError

    def get_list(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        fields: str | None = None,
        count: int = 1000,
        if_none_match: str | None = None,
    ) -> ListResult[Any]:
        """Page through a list."""
        raise NotImplementedError

    def post(self, path: str, json: Any = None, params: Mapping[str, Any] | None = None) -> Any:
        """POST returning the decoded body."""
        raise NotImplementedError

    def put(self, path: str, json: Any = None, params: Mapping[str, Any] | None = None) -> Any:
        """PUT returning the decoded body."""
        raise NotImplementedError

    def delete(self, path: str, params: Mapping[str, Any] | None = None) -> None:
        """DELETE."""
        raise NotImplementedError

    # ----- helpers ---------------------------------------------------------------------------

    def _value(self, body: Any) -> Any:
        return (body or {}).get("value")

    def _list_by_ids(
        self,
        path: str,
        id_param: str,
        ids: Sequence[int] | None,
        params: dict[str, Any],
        fields: str,
        if_none_match: str | None = None,
    ) -> ListResult[Any]:
        """List, splitting a long id filter over several calls."""
        if ids is None:
            return self.get_list(path, params, fields=fields, if_none_match=if_none_match)
        if not ids:
            return ListResult([], None, False, 0)  # an empty filter would match everything
        merged = None
        for chunk in _chunks(sorted(ids), MAX_IDS_PER_CALL):
            part = self.get_list(path, {**params, id_param: _ids(chunk)}, fields=fields)
            if merged is None:
                merged = part
            else:
                merged.values.extend(part.values)
                merged.calls += part.calls
                merged.version_digest = None  # a digest of one chunk says nothing of the whole
        return merged

    def _write_chunks(self, method: str, path: str, bodies: list[dict]) -> list[dict]:
        """Send a /list write in chunks of MAX_BATCH; on error, attach what earlier chunks made."""
        created: list[dict] = []
        for chunk in _chunks(bodies, MAX_BATCH):
            try:
                body = (
                    self.post(path, list(chunk))
                    if method == "POST"
                    else self.put(path, list(chunk))
                )
            except TripletexError as exc:
                exc.partial_results = created
                raise
            created.extend((body or {}).get("values") or [])
        return created

    # ----- session ---------------------------------------------------------------------------

    def who_am_i(self) -> WhoAmI:
        """The token's employee and company: the "test connection" call."""
        body = self.get("/token/session/>whoAmI", {"fields": WHO_AM_I_FIELDS})
        return cast(WhoAmI, self._value(body))

    # ----- master data -----------------------------------------------------------------------

    def list_employees(
        self,
        *,
        include_contacts: bool | None = False,
        ids: Sequence[int] | None = None,
        fields: str = EMPLOYEE_FIELDS,
        if_none_match: str | None = None,
    ) -> ListResult[Employee]:
        """Employees with employments (division included), all or those ids."""
        params = {"includeContacts": include_contacts}
        result = self._list_by_ids("/employee", "id", ids, params, fields, if_none_match)
        return cast("ListResult[Employee]", result)

    def list_employments(
        self, employee_id: int, *, fields: str = EMPLOYMENT_FIELDS
    ) -> ListResult[Employment]:
        """Employments of one employee. ListResult[Employment]."""
        result = self.get_list("/employee/employment", {"employeeId": employee_id}, fields=fields)
        return cast("ListResult[Employment]", result)

    def list_hourly_cost_and_rates(
        self, employee_id: int, *, fields: str = HOURLY_COST_AND_RATE_FIELDS
    ) -> ListResult[HourlyCostAndRate]:
        """The employee's hourly rate history (each row valid from its date)."""
        params = {"employeeId": employee_id}
        result = self.get_list("/employee/hourlyCostAndRate", params, fields=fields)
        return cast("ListResult[HourlyCostAndRate]", result)

    def list_departments(
        self, *, fields: str = DEPARTMENT_FIELDS, if_none_match: str | None = None
    ) -> ListResult[Department]:
        """All departments, active and inactive. ListResult[Department]."""
        result = self.get_list("/department", {}, fields=fields, if_none_match=if_none_match)
        return cast("ListResult[Department]", result)

    def list_customers(
        self,
        *,
        changed_since: datetime | None = None,
        include_inactive: bool = True,
        inactive_only: bool = False,
        ids: Sequence[int] | None = None,
        fields: str = CUSTOMER_FIELDS,
        if_none_match: str | None = None,
    ) -> ListResult[Customer]:
        """Customers, optionally only those changed since a time (Oslo local time) or those ids.

        Tripletex hides inactive customers unless isInactive=true is asked for, so
        include_inactive makes a second call; then there is no single digest to compare.
        inactive_only asks for the inactive ones alone (one call).
        """
        if include_inactive and if_none_match and not inactive_only:
            raise ValueError("if_none_match needs include_inactive=False (one list, one digest)")
        params: dict[str, Any] = {"changedSince": changed_since, "isInactive": inactive_only}
        result = self._list_by_ids("/customer", "id", ids, params, fields, if_none_match)
        if inactive_only:
            return cast("ListResult[Customer]", result)
        if include_inactive:
            inactive = self.get_list("/customer", {**params, "isInactive": True}, fields=fields)
            result.values.extend(inactive.values)
            result.calls += inactive.calls
            result.version_digest = None
        return cast("ListResult[Customer]", result)

    def list_projects(
        self,
        *,
        is_closed: bool | None = None,
        ids: Sequence[int] | None = None,
        fields: str = PROJECT_FIELDS,
        if_none_match: str | None = None,
    ) -> ListResult[Project]:
        """Projects with participants, project activities, customer and manager."""
        params = {"isClosed": is_closed}
        result = self._list_by_ids("/project", "id", ids, params, fields, if_none_match)
        return cast("ListResult[Project]", result)

    def projects_for_timesheet(
        self, employee_id: int, day: date, *, fields: str = PROJECT_PICKER_FIELDS
    ) -> ListResult[Project]:
        """Projects this employee may log time on that day. ListResult[Project]."""
        params = {"employeeId": employee_id, "date": day}
        result = self.get_list("/project/>forTimeSheet", params, fields=fields)
        return cast("ListResult[Project]", result)

    def list_activities(
        self,
        *,
        is_inactive: bool | None = None,
        fields: str = ACTIVITY_FIELDS,
        if_none_match: str | None = None,
    ) -> ListResult[Activity]:
        """All activities. ListResult[Activity]."""
        result = self.get_list(
            "/activity", {"isInactive": is_inactive}, fields=fields, if_none_match=if_none_match
        )
        return cast("ListResult[Activity]", result)

    def activities_for_timesheet(
        self,
        project_id: int,
        employee_id: int | None = None,
        day: date | None = None,
        *,
        fields: str = ACTIVITY_PICKER_FIELDS,
    ) -> ListResult[Activity]:
        """Activities allowed on that project for the employee and day. ListResult[Activity]."""
        params = {"projectId": project_id, "employeeId": employee_id, "date": day}
        result = self.get_list("/activity/>forTimeSheet", params, fields=fields)
        return cast("ListResult[Activity]", result)

    def list_salary_types(
        self,
        *,
        show_in_timesheet: bool | None = None,
        fields: str = SALARY_TYPE_FIELDS,
        if_none_match: str | None = None,
    ) -> ListResult[SalaryType]:
        """Salary types. ListResult[SalaryType]."""
        params = {"showInTimesheet": show_in_timesheet}
        result = self.get_list("/salary/type", params, fields=fields, if_none_match=if_none_match)
        return cast("ListResult[SalaryType]", result)

    def list_products(
        self,
        *,
        is_inactive: bool | None = None,
        ids: Sequence[int] | None = None,
        fields: str = PRODUCT_FIELDS,
        if_none_match: str | None = None,
    ) -> ListResult[Product]:
        """Products for order lines, all or those ids. ListResult[Product]."""
        params = {"isInactive": is_inactive}
        result = self._list_by_ids("/product", "ids", ids, params, fields, if_none_match)
        return cast("ListResult[Product]", result)

    def list_vat_types(
        self,
        *,
        type_of_vat: str | None = "OUTGOING",
        vat_date: date | None = None,
        fields: str = VAT_TYPE_FIELDS,
        if_none_match: str | None = None,
    ) -> ListResult[VatType]:
        """VAT types (outgoing by default, valid on vat_date; None: all). ListResult[VatType]."""
        params = {"typeOfVat": type_of_vat, "vatDate": vat_date if type_of_vat else None}
        result = self.get_list(
            "/ledger/vatType", params, fields=fields, if_none_match=if_none_match
        )
        return cast("ListResult[VatType]", result)

    def list_divisions(
        self, *, fields: str = DIVISION_FIELDS, if_none_match: str | None = None
    ) -> ListResult[Division]:
        """Divisions (virksomheter). ListResult[Division]."""
        result = self.get_list("/division", {}, fields=fields, if_none_match=if_none_match)
        return cast("ListResult[Division]", result)

    def list_hourly_rates(
        self,
        project_ids: Sequence[int] | None = None,
        *,
        fields: str = HOURLY_RATE_FIELDS,
        if_none_match: str | None = None,
    ) -> ListResult[ProjectHourlyRate]:
        """Project hourly rates, for some or all projects. ListResult[ProjectHourlyRate]."""
        result = self._list_by_ids(
            "/project/hourlyRates", "projectId", project_ids, {}, fields, if_none_match
        )
        return cast("ListResult[ProjectHourlyRate]", result)

    # ----- timesheet entries -----------------------------------------------------------------

    def list_timesheet_entries(
        self,
        date_from: date,
        date_to: date,
        employee_id: int | Sequence[int] | None = None,
        *,
        project_id: int | Sequence[int] | None = None,
        activity_id: int | Sequence[int] | None = None,
        fields: str = TIMESHEET_ENTRY_FIELDS,
    ) -> ListResult[TimesheetEntry]:
        """Entries with date_from <= date < date_to. ListResult[TimesheetEntry]."""
        params = {
            "dateFrom": date_from,
            "dateTo": date_to,
            "employeeId": _ids(employee_id),
            "projectId": _ids(project_id),
            "activityId": _ids(activity_id),
        }
        result = self.get_list("/timesheet/entry", params, fields=fields)
        return cast("ListResult[TimesheetEntry]", result)

    def get_timesheet_entry(self, entry_id: int) -> TimesheetEntry:
        """One timesheet entry."""
        body = self.get(f"/timesheet/entry/{entry_id}", {"fields": TIMESHEET_ENTRY_FIELDS})
        return cast(TimesheetEntry, self._value(body))

    def create_timesheet_entry(self, entry: NewTimesheetEntry) -> TimesheetEntry:
        """POST one entry; Conflict(is_duplicate) if employee/date/activity/project exists."""
        body = self.post("/timesheet/entry", entry.to_json())
        return cast(TimesheetEntry, self._value(body))

    def create_timesheet_entries(
        self, entries: Sequence[NewTimesheetEntry]
    ) -> list[TimesheetEntry]:
        """POST /timesheet/entry/list in chunks of 100; values in input order."""
        created = self._write_chunks(
            "POST", "/timesheet/entry/list", [e.to_json() for e in entries]
        )
        return cast(list[TimesheetEntry], created)

    def update_timesheet_entry(
        self, entry_id: int, entry: NewTimesheetEntry, *, version: int | None = None
    ) -> TimesheetEntry:
        """PUT the full entry (fields left out would be nulled by Tripletex)."""
        body = self.put(
            f"/timesheet/entry/{entry_id}", entry.to_json(entry_id=entry_id, version=version)
        )
        return cast(TimesheetEntry, self._value(body))

    def update_timesheet_entries(
        self, updates: Sequence[tuple[int, NewTimesheetEntry, int | None]]
    ) -> list[TimesheetEntry]:
        """PUT /timesheet/entry/list in chunks of 100: (entry id, full entry, version) per row."""
        bodies = [entry.to_json(entry_id=eid, version=ver) for eid, entry, ver in updates]
        return cast(
            list[TimesheetEntry], self._write_chunks("PUT", "/timesheet/entry/list", bodies)
        )

    def delete_timesheet_entry(self, entry_id: int, version: int | None = None) -> None:
        """DELETE an entry; with version, a stale copy gives Conflict(is_stale)."""
        self.delete(f"/timesheet/entry/{entry_id}", {"version": version})

    # ----- salary type specifications (timesheet-based payroll basis) ------------------------

    def list_salary_type_specifications(
        self,
        date_from: date,
        date_to: date,
        employee_id: int | None = None,
        *,
        fields: str = SALARY_TYPE_SPEC_FIELDS,
    ) -> ListResult[SalaryTypeSpecification]:
        """Specifications in [date_from, date_to). ListResult[SalaryTypeSpecification]."""
        params = {"dateFrom": date_from, "dateTo": date_to, "employeeId": employee_id}
        result = self.get_list("/timesheet/salaryTypeSpecification", params, fields=fields)
        return cast("ListResult[SalaryTypeSpecification]", result)

    def create_salary_type_specification(
        self, spec: NewSalaryTypeSpecification
    ) -> SalaryTypeSpecification:
        """POST one specification (one per employee/date/salary type)."""
        body = self.post("/timesheet/salaryTypeSpecification", spec.to_json())
        return cast(SalaryTypeSpecification, self._value(body))

    def update_salary_type_specification(
        self, spec_id: int, spec: NewSalaryTypeSpecification, *, version: int | None = None
    ) -> SalaryTypeSpecification:
        """PUT a specification."""
        body = self.put(
            f"/timesheet/salaryTypeSpecification/{spec_id}",
            spec.to_json(spec_id=spec_id, version=version),
        )
        return cast(SalaryTypeSpecification, self._value(body))

    def delete_salary_type_specification(self, spec_id: int) -> None:
        """DELETE a specification."""
        self.delete(f"/timesheet/salaryTypeSpecification/{spec_id}")

    # ----- salary transactions ---------------------------------------------------------------

    def create_salary_transaction(
        self, transaction: NewSalaryTransaction, *, generate_tax_deduction: bool = False
    ) -> SalaryTransaction:
        """POST /salary/transaction: books the salary voucher and payslips at once."""
        params = {"generateTaxDeduction": generate_tax_deduction}
        body = self.post("/salary/transaction", transaction.to_json(), params)
        return cast(SalaryTransaction, self._value(body))

    def get_salary_transaction(self, transaction_id: int) -> SalaryTransaction:
        """One salary transaction with its payslips."""
        body = self.get(
            f"/salary/transaction/{transaction_id}", {"fields": SALARY_TRANSACTION_FIELDS}
        )
        return cast(SalaryTransaction, self._value(body))

    def delete_salary_transaction(self, transaction_id: int) -> None:
        """DELETE a salary transaction (its payslips go with it)."""
        self.delete(f"/salary/transaction/{transaction_id}")

    def list_payslips(
        self,
        *,
        wage_transaction_id: int | Sequence[int] | None = None,
        employee_id: int | Sequence[int] | None = None,
        year_from: int | None = None,
        year_to: int | None = None,
        month_from: int | None = None,
        month_to: int | None = None,
        fields: str = PAYSLIP_FIELDS,
    ) -> ListResult[Payslip]:
        """Payslips by transaction, employee and period. ListResult[Payslip]."""
        params = {
            "wageTransactionId": _ids(wage_transaction_id),
            "employeeId": _ids(employee_id),
            "yearFrom": year_from,
            "yearTo": year_to,
            "monthFrom": month_from,
            "monthTo": month_to,
        }
        return cast("ListResult[Payslip]", self.get_list("/salary/payslip", params, fields=fields))

    # ----- orders ----------------------------------------------------------------------------

    def create_order(self, order: NewOrder) -> Order:
        """POST /order with its lines embedded."""
        body = self.post("/order", order.to_json())
        return cast(Order, self._value(body))

    def create_orders(self, orders: Sequence[NewOrder]) -> list[Order]:
        """POST /order/list in chunks of at most 100; values in input order."""
        created = self._write_chunks("POST", "/order/list", [o.to_json() for o in orders])
        return cast(list[Order], created)

    def get_order(self, order_id: int) -> Order:
        """One order with its lines."""
        body = self.get(f"/order/{order_id}", {"fields": ORDER_FIELDS})
        return cast(Order, self._value(body))

    def list_orders(
        self,
        order_date_from: date,
        order_date_to: date,
        customer_id: int | Sequence[int] | None = None,
        *,
        fields: str = ORDER_FIELDS,
    ) -> ListResult[Order]:
        """Orders with order_date_from <= orderDate < order_date_to. ListResult[Order]."""
        params = {
            "orderDateFrom": order_date_from,
            "orderDateTo": order_date_to,
            "customerId": _ids(customer_id),
        }
        return cast("ListResult[Order]", self.get_list("/order", params, fields=fields))

    # ----- month approval --------------------------------------------------------------------

    def _month_action(
        self, action: str, employee_ids: Sequence[int], month_year: str | date, **extra: Any
    ) -> list[MonthlyStatus]:
        params = {"employeeIds": _ids(employee_ids), "monthYear": _month_year(month_year), **extra}
        body = self.put(f"/timesheet/month/:{action}", None, params)
        return cast(list[MonthlyStatus], (body or {}).get("values") or [])

    def complete_month(
        self, employee_ids: Sequence[int], month_year: str | date
    ) -> list[MonthlyStatus]:
        """Mark the month as completed (delivered) for these employees."""
        return self._month_action("complete", employee_ids, month_year)

    def approve_month(
        self,
        employee_ids: Sequence[int],
        month_year: str | date,
        *,
        approved_until_date: date | None = None,
    ) -> list[MonthlyStatus]:
        """Approve the month (locks its entries)."""
        return self._month_action(
            "approve", employee_ids, month_year, approvedUntilDate=approved_until_date
        )

    def unapprove_month(
        self, employee_ids: Sequence[int], month_year: str | date
    ) -> list[MonthlyStatus]:
        """Withdraw an approval."""
        return self._month_action("unapprove", employee_ids, month_year)

    def reopen_month(
        self, employee_ids: Sequence[int], month_year: str | date
    ) -> list[MonthlyStatus]:
        """Reopen a completed month."""
        return self._month_action("reopen", employee_ids, month_year)

    def month_status(
        self,
        employee_ids: Sequence[int],
        month_year: str | date,
        *,
        fields: str = MONTHLY_STATUS_FIELDS,
    ) -> ListResult[MonthlyStatus]:
        """Monthly status per employee. ListResult[MonthlyStatus]."""
        params = {"employeeIds": _ids(employee_ids), "monthYear": _month_year(month_year)}
        result = self.get_list("/timesheet/month/byMonthNumber", params, fields=fields)
        return cast("ListResult[MonthlyStatus]", result)

    # ----- webhooks --------------------------------------------------------------------------

    def list_event_types(self) -> dict[str, str]:
        """Event names mapped to their descriptions."""
        body = self.get("/event")
        events = self._value(body) or {}
        return {name: (info or {}).get("description") or "" for name, info in events.items()}

    def list_event_subscriptions(
        self, *, fields: str = SUBSCRIPTION_FIELDS
    ) -> ListResult[Subscription]:
        """This employee token's subscriptions. ListResult[Subscription]."""
        result = self.get_list("/event/subscription", {}, fields=fields)
        return cast("ListResult[Subscription]", result)

    def create_event_subscription(
        self,
        event: str,
        target_url: str,
        *,
        fields: str | None = None,
        auth_header_name: str | None = None,
        auth_header_value: str | None = None,
        hmac_shared_secret: str | None = None,
    ) -> Subscription:
        """Subscribe target_url (absolute https) to one event, e.g. 'project.update'."""
        payload = {
            "event": event,
            "targetUrl": target_url,
            "fields": fields,
            "authHeaderName": auth_header_name,
            "authHeaderValue": auth_header_value,
            "hmacSharedSecret": hmac_shared_secret,
        }
        body = self.post("/event/subscription", {k: v for k, v in payload.items() if v is not None})
        return cast(Subscription, self._value(body))

    def update_event_subscription(
        self,
        subscription_id: int,
        *,
        event: str,
        target_url: str,
        status: str | None = None,
        fields: str | None = None,
        auth_header_name: str | None = None,
        auth_header_value: str | None = None,
        hmac_shared_secret: str | None = None,
        version: int | None = None,
    ) -> Subscription:
        """PUT a subscription, e.g. status='ACTIVE' to re-enable one Tripletex disabled."""
        payload = {
            "id": subscription_id,
            "version": version,
            "event": event,
            "targetUrl": target_url,
            "status": status,
            "fields": fields,
            "authHeaderName": auth_header_name,
            "authHeaderValue": auth_header_value,
            "hmacSharedSecret": hmac_shared_secret,
        }
        body = self.put(
            f"/event/subscription/{subscription_id}",
            {k: v for k, v in payload.items() if v is not None},
        )
        return cast(Subscription, self._value(body))

    def delete_event_subscription(self, subscription_id: int) -> None:
        """DELETE a subscription."""
        self.delete(f"/event/subscription/{subscription_id}")

    # ----- transfer: project salary specifications, order lines, order updates, weeks --------

    def list_salary_project_type_specifications(
        self,
        date_from: date | None = None,
        date_to: date | None = None,
        employee_id: int | None = None,
        *,
        project_id: int | None = None,
        activity_id: int | None = None,
        include_not_connected_to_activities: bool | None = None,
        fields: str = SALARY_PROJECT_TYPE_SPEC_FIELDS,
    ) -> ListResult[SalaryProjectTypeSpecification]:
        """Specifications with project/activity in [date_from, date_to), optionally filtered."""
        params = {
            "dateFrom": date_from,
            "dateTo": date_to,
            "employeeId": employee_id,
            "projectId": project_id,
            "activityId": activity_id,
            "includeNotConnectedToActivities": include_not_connected_to_activities,
        }
        result = self.get_list("/timesheet/salaryProjectTypeSpecification", params, fields=fields)
        return cast("ListResult[SalaryProjectTypeSpecification]", result)

    def get_salary_project_type_specification(
        self, spec_id: int, *, fields: str = SALARY_PROJECT_TYPE_SPEC_FIELDS
    ) -> SalaryProjectTypeSpecification:
        """One specification with project/activity."""
        body = self.get(f"/timesheet/salaryProjectTypeSpecification/{spec_id}", {"fields": fields})
        return cast(SalaryProjectTypeSpecification, self._value(body))

    def create_salary_project_type_specification(
        self, spec: NewSalaryProjectTypeSpecification
    ) -> SalaryProjectTypeSpecification:
        """POST one; Tripletex does not refuse a second on the same key (carry ours in
        description and search before posting again)."""
        body = self.post("/timesheet/salaryProjectTypeSpecification", spec.to_json())
        return cast(SalaryProjectTypeSpecification, self._value(body))

    def update_salary_project_type_specification(
        self, spec_id: int, spec: NewSalaryProjectTypeSpecification, *, version: int | None = None
    ) -> SalaryProjectTypeSpecification:
        """PUT a specification (Conflict(is_locked) once approved or paid)."""
        body = self.put(
            f"/timesheet/salaryProjectTypeSpecification/{spec_id}",
            spec.to_json(spec_id=spec_id, version=version),
        )
        return cast(SalaryProjectTypeSpecification, self._value(body))

    def delete_salary_project_type_specification(self, spec_id: int) -> None:
        """DELETE a specification."""
        self.delete(f"/timesheet/salaryProjectTypeSpecification/{spec_id}")

    def get_order_detail(self, order_id: int, *, fields: str = ORDER_DETAIL_FIELDS) -> OrderDetail:
        """One order with its key, state and lines (read back: the create answer may omit
        the lines)."""
        body = self.get(f"/order/{order_id}", {"fields": fields})
        return cast(OrderDetail, self._value(body))

    def find_orders(
        self,
        order_date_from: date,
        order_date_to: date,
        *,
        ids: Sequence[int] | None = None,
        number: str | None = None,
        customer_id: int | Sequence[int] | None = None,
        is_closed: bool | None = None,
        delivery_comment: str | None = None,
        fields: str = ORDER_DETAIL_FIELDS,
    ) -> ListResult[OrderDetail]:
        """Orders with order_date_from <= orderDate < order_date_to, by ids, number (equals),
        customer, closed state or deliveryComment (containing: TiPro's key)."""
        params = {
            "orderDateFrom": order_date_from,
            "orderDateTo": order_date_to,
            "number": number,
            "customerId": _ids(customer_id),
            "isClosed": is_closed,
            "deliveryComment": delivery_comment,
        }
        result = self._list_by_ids("/order", "id", ids, params, fields)
        return cast("ListResult[OrderDetail]", result)

    def update_order(
        self,
        order_id: int,
        order: NewOrder,
        *,
        version: int | None = None,
        line_ids: Sequence[int | None] | None = None,
    ) -> Order:
        """PUT the order with updateLinesAndGroups=true: its lines become exactly order.lines.
        line_ids (aligned with order.lines) keeps existing lines by id; None creates one.
        (PUT takes no `fields`: read back with get_order_detail.)"""
        body = order.to_json()
        body["id"] = order_id
        if version is not None:
            body["version"] = version
        if line_ids is not None:
            if len(line_ids) != len(order.lines):
                raise ValueError("line_ids must match order.lines one to one")
            body["orderLines"] = [
                {**line, "id": line_id} if line_id is not None else line
                for line, line_id in zip(body["orderLines"], line_ids, strict=True)
            ]
        answer = self.put(f"/order/{order_id}", body, {"updateLinesAndGroups": True})
        return cast(Order, self._value(answer))

    def delete_order(self, order_id: int) -> None:
        """DELETE an order and its lines (refused once it is closed/invoiced)."""
        self.delete(f"/order/{order_id}")

    def invoice_order(
        self, order_id: int, invoice_date: date, *, send_to_customer: bool = False
    ) -> Invoice:
        """PUT /order/{id}/:invoice: the order closes (no new lines, no changes)."""
        params = {"invoiceDate": invoice_date, "sendToCustomer": send_to_customer}
        body = self.put(f"/order/{order_id}/:invoice", None, params)
        return cast(Invoice, self._value(body))

    def _line_json(
        self,
        order_id: int,
        line: NewOrderLine,
        line_id: int | None = None,
        version: int | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {**line.to_json(), "order": {"id": order_id}}
        if line_id is not None:
            body["id"] = line_id
        if version is not None:
            body["version"] = version
        return body

    def create_order_line(self, order_id: int, line: NewOrderLine) -> OrderLineDetail:
        """POST one line onto an existing (open) order."""
        body = self.post("/order/orderline", self._line_json(order_id, line))
        return cast(OrderLineDetail, self._value(body))

    def create_order_lines(
        self, lines: Sequence[tuple[int, NewOrderLine]]
    ) -> list[OrderLineDetail]:
        """POST /order/orderline/list in chunks of 100: (order id, line) per row, input order."""
        bodies = [self._line_json(order_id, line) for order_id, line in lines]
        return cast(
            list[OrderLineDetail], self._write_chunks("POST", "/order/orderline/list", bodies)
        )

    def get_order_line(
        self, line_id: int, *, fields: str = ORDER_LINE_DETAIL_FIELDS
    ) -> OrderLineDetail:
        """One order line."""
        body = self.get(f"/order/orderline/{line_id}", {"fields": fields})
        return cast(OrderLineDetail, self._value(body))

    def update_order_line(
        self, line_id: int, order_id: int, line: NewOrderLine, *, version: int | None = None
    ) -> OrderLineDetail:
        """PUT one line (its order must be open); amounts are recomputed by Tripletex."""
        body = self.put(
            f"/order/orderline/{line_id}", self._line_json(order_id, line, line_id, version)
        )
        return cast(OrderLineDetail, self._value(body))

    def delete_order_line(self, line_id: int) -> None:
        """DELETE one order line (its order must be open)."""
        self.delete(f"/order/orderline/{line_id}")

    def approve_week(self, employee_id: int, week_year: str) -> Week:
        """PUT /timesheet/week/:approve for one employee and ISO week ("2025-10"); Tripletex
        has answered 403 here even for the token owner (PermissionDenied)."""
        params = {"employeeId": employee_id, "weekYear": week_year}
        body = self.put("/timesheet/week/:approve", None, params)
        return cast(Week, self._value(body))
