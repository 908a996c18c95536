"""Scenario errors as people read them, in their language (the model's errors stay language-free).

:class:`cssim.model.errors.ScenarioError` holds the source and a list of :class:`Problem` (field path,
line, value, what is allowed). English output is exactly ``str(error)``; other languages rebuild the same
lines from translated templates. A problem's ``message`` is matched against the message templates below
(``must be at least {limit}``): the template is translated and its values put back, so the model keeps
writing plain English and the language is chosen where the error is shown. A message no template
matches stays in English whole rather than half-translated.
"""

from __future__ import annotations

import functools
import re

from ..model.errors import Problem, ScenarioError, _show
from .i18n import N_, Translator

__all__ = ["MESSAGES", "problem_text", "scenario_error_text", "translate_message"]

#: What the model says about a bad value, as templates with named values (``cssim.model.scenario``).
MESSAGES = (
    N_("this field is required"),
    N_("unknown field"),
    N_("unknown field; allowed here: {fields}"),
    N_("must be at least {limit}"),
    N_("must be greater than {limit}"),
    N_("must be at most {limit}"),
    N_("must be less than {limit}"),
    N_("must be a whole number"),
    N_("must be a number"),
    N_("must be a finite number (not .inf or .nan)"),
    N_("must be text"),
    N_("must not be empty"),
    N_("must be at least {n} characters long"),
    N_("must be at most {n} characters long"),
    N_("must be a three-letter currency code in capitals, such as JPY or USD"),
    N_("a [low, high] 90% interval needs exactly two numbers"),
    N_("must be a mapping with fields {fields}"),
    N_("segment names must be unique; repeated: {names}"),
    N_("segment ids must be unique; repeated: {names}"),
    N_("must be letters, digits, - or _ (a key that stays when the name changes)"),
    N_("give one stream key per segment ({n}), got {given}"),
    N_("give one of accounts_per_csm, csm_per_account or csms (a fixed headcount), not {fields}"),
    N_("hires add to a fixed headcount: give csms with them"),
    N_(
        "a CS response moves customers between usage states: give the segment health (states and transitions)"
    ),
    N_(
        "the CS response from {from_state} to {to_state} names unknown states: {unknown}; states: {states}"
    ),
    N_("the CS response from {pair} is given more than once"),
    N_("state names must be unique; repeated: {names}"),
    N_("the {key} shares of the states must sum to 1, got {total}"),
    N_("the transitions from {state} must sum to 1, got {total}"),
    N_("transitions name unknown states: {unknown}; states: {states}"),
    N_("transitions need a row for every state; missing: {missing}"),
    N_(
        "the transition from {from_state} to {to_state} is given both in transitions and as a CS response; give it in one place (the response computes it from coverage)"
    ),
    N_(
        "the transitions from {state} must give the rest of the row as weights (at least one entry above 0): the CS response sets only its own entry"
    ),
    N_(
        "the CS responses from {state} could add up to {total}, more than 1: lower their none or max"
    ),
    N_("a CS response moves customers from one state to another, not from {state} to itself"),
    N_("must not hold . @ [ ] or control characters (a state's name is part of field paths)"),
    N_("a scenario is a YAML mapping with name, horizon_months and segments"),
    N_("give exactly one of arpa (MRR per account) or seats (per_account and price)"),
    N_(
        "give exactly one of rate (annual, relative to the base) or count (new customers per month)"
    ),
    N_("growth applies to count; a rate already grows with the base"),
    N_("endurance applies to a count's growth; a rate has no growth to fade"),
    N_("give accounts_per_csm or csm_per_account, not both"),
    N_("must be a whole number, a [low, high] 90% interval or a distribution with a kind"),
    N_("must be a number, a [low, high] 90% interval or a distribution with a kind"),
    N_("must be a number or a mapping with {fields}"),
    N_("must be a whole number or a mapping with {fields}"),
    N_("must be text or a mapping with {fields}"),
    N_("must be true or false or a mapping with {fields}"),
    N_("must match the pattern {pattern}"),
    N_("needs at least {n} item"),
    N_("needs at least {n} items"),
    N_("allows at most {n} items"),
    N_("must be a list of segments (each item starts with '- name: ...')"),
    N_("must be a list"),
    N_("must be a mapping of fields"),
    N_("a distribution needs a kind: one of {kinds}"),
    N_("must be one of en, ja (the language of reports and pages)"),
    N_("must be one of random, lhs, sobol (how the uncertain parameters are drawn)"),
    N_("kind must be one of {kinds}"),
    N_("a key must be text (a field name)"),
    N_("must be true or false"),
    N_("input should be a valid dictionary"),
    N_("input should be a valid list"),
    N_("input should be a valid string"),
    N_("input should be a valid integer"),
    N_("input should be a valid number"),
    N_("input should be a valid boolean"),
    N_("input should be {allowed}"),
    N_(
        "{dist} has parameters too extreme to compute its probabilities; give values that describe a range inside {range}"
    ),
    N_(
        "{dist} puts only {share} of its probability inside the allowed range {range}; at least {needed} is needed (narrow it, or use beta, lognormal or interval90)"
    ),
    N_("give exactly one of monthly, heterogeneity (alpha, beta) or annual_renewal; got {given}"),
    N_("onboarding churn applies to monthly contracts; annual contracts churn only at renewal"),
    N_("max ({max}) must be at least min ({min})"),
    N_("{key} must give one number per tenure {min} to {max} ({n} numbers), got {got}"),
    N_("weights must not all be 0"),
    N_("parameters must be unique; repeated: {names}"),
    N_("scales must give one scale per parameter ({q}), got {got}"),
    N_("covariance must be {q} rows of {q} numbers (one per parameter)"),
    N_("covariance must be symmetric"),
    N_("covariance must be positive semi-definite (a variance matrix)"),
    N_("joint parameter {name} is not a numeric field of this segment; fields: {fields}"),
    N_(
        "{name} is in joint, so give it as a number (the centre the joint draws around), not {dist}"
    ),
    N_("{name} = {centre} must be above 0 for the log scale"),
    N_("{name} = {centre} must be above -1 for the log1p scale"),
    N_("{name} = {centre} must be strictly between 0 and 1 for the logit scale"),
    N_(
        "joint draws of {name} reach {x} ({limit} standard deviations from {centre} on the {kind} scale), which the field does not allow: {rule}; give a smaller variance or another scale"
    ),
    N_(
        "contraction rate {rate} exceeds its probability {probability}: a contracting account would lose more than all of its MRR"
    ),
    N_(
        "sd {sd} and mean {mean} are too extreme for a lognormal: give sd at most 1e6 times the mean and a mean at most 1e300"
    ),
    N_("give either alpha and beta, or mean and sd"),
    N_("give both alpha and beta"),
    N_("give both mean and sd"),
    N_("high ({high}) must be above low ({low})"),
    N_("mean {mean} must lie strictly between low and high"),
    N_("sd {sd} is too large for mean {mean}: a beta needs sd < {limit}"),
    N_("need low <= mode <= high with low < high, got {values}"),
    N_("no such file"),
    N_("this is a folder, not a scenario file"),
    N_("the file is not UTF-8 text ({reason})"),
    N_("cannot read the file: {reason}"),
    N_("the file is empty: a scenario is a YAML mapping"),
    N_(
        "the document holds or expands to more than {limit} values (anchors and aliases repeat parts of it); a scenario holds a few hundred"
    ),
    N_(
        "the document is nested too deeply or an alias refers to itself; a scenario is a few levels deep"
    ),
    N_("the key {key} is written twice (lines {first} and {line}); keep one"),
    N_("this is not valid YAML: {detail}"),
    N_(
        "the file is {size} bytes; a scenario file is at most {limit} bytes (a scenario is a few kilobytes)"
    ),
    N_("a number is written with at most {limit} digits; this one has {digits}"),
    N_(
        "YAML 1.1 reads a number with ':' as base 60 (1:30 is 90) and YAML 1.2 as text: write the number itself, or quote it to make it text"
    ),
    N_("YAML 1.1 drops '_' from numbers and YAML 1.2 reads them as text: write the digits only"),
    N_(
        "YAML 1.1 reads a whole number with a leading 0 as octal (036 is 30) and YAML 1.2 as decimal: write it without the leading 0"
    ),
    N_("YAML 1.2 has no 0b numbers: write the number in decimal"),
    N_("cannot be read as a whole number"),
    N_("cannot be read as a number"),
    N_("cannot be read as true or false"),
    N_("cannot be read as a date"),
    N_("cannot be read as base64 data"),
    N_("cannot be read as null"),
    N_("cannot be read as a value of type {tag}"),
    N_(
        "this segment could reach {customers} customers within {months} months (starting customers, acquisition and churn at the ends of their ranges); at most {limit} are allowed: lower customers or acquisition, or shorten the horizon"
    ),
    N_(
        "this segment's money (ARR and cumulative costs over {months} months) could reach {money} {currency}; at most {limit} is allowed: lower the price, expansion, customers or costs"
    ),
    N_("at most {limit} paths are allowed"),
    N_(
        "{paths} paths of this scenario need about {gb} GB; about {fit} fit in the memory free now: use {fit} paths or fewer (the Monte Carlo error falls as 1/sqrt(paths)), fewer segments or a shorter horizon"
    ),
    N_("there is no segment {key}; segment indices: {allowed}"),
    N_("no segment named {name}; segments: {names}"),
    N_("no segment named {name} (nor any name this path starts with); segments: {names}"),
    N_("a field path is a list of field names and indices"),
    N_("a field path is not empty, e.g. segments[0].churn.monthly"),
    N_("only segments are chosen by name in brackets"),
    N_("a field path has a name between dots"),
    N_('a segment name in brackets is quoted: ["name"]'),
    N_('close the brackets: ["name"]'),
    N_('in brackets goes an index such as [0] or a quoted name ["SMB"]'),
    N_("{where}: there is no item {key} (items {first} to {last})"),
    N_("{where} is a mapping: name a field, not [{key}]"),
    N_("{where} is a single value ({value}); it has no field {key}"),
    N_("--vary {text}: write FIELD=LOW:HIGH:STEPS or FIELD=a,b,c"),
    N_("--vary {text}: STEPS must be between 2 and 101"),
    N_("--vary {text}: values must be numbers, as LOW:HIGH:STEPS or a,b,c"),
    N_("--vary {text}: give at least one value"),
    N_("--vary {text}: values must be finite numbers (not nan or inf)"),
    N_("--vary {text}: name a field before '=', e.g. churn.monthly=0.01:0.05:5"),
    N_("--vary {field}: {value} is not allowed: give finite numbers"),
    N_("a sweep varies one or two fields, not {n}"),
    # correlations between uncertain parameters (cssim.model.correlation)
    N_(
        "a and b must be two different parameters, got {name} twice (a parameter's correlation with itself is 1)"
    ),
    N_(
        "{name} is drawn by its segment's joint, whose covariance already sets how it moves with the joint's other parameters: a rank correlation on top would be mixed into the joint's draw and not hold; leave it out of correlations, or out of the joint"
    ),
    N_(
        "{name} is a fixed number ({value}), not uncertain: give it a distribution or a [low, high] range to correlate it"
    ),
    N_("{name} is not an uncertain parameter of this scenario; they are: {names}"),
    N_("the pair {a} and {b} is already given in correlations[{first}]; give each pair once"),
    N_(
        "with the pairs listed before it, {a} and {b} can have a rho of at most {limit}: the correlations are not consistent (their matrix is not positive semi-definite); the closest consistent correlations are {pairs}: write those, or set correlations_repair: true to have cssim use them"
    ),
    N_(
        "with the pairs listed before it, {a} and {b} can have a rho of at least {limit}: the correlations are not consistent (their matrix is not positive semi-definite); the closest consistent correlations are {pairs}: write those, or set correlations_repair: true to have cssim use them"
    ),
    N_("must not contain control characters; found {code} at character {position}"),
    N_(
        "must not contain control characters other than line breaks and tabs; found {code} at character {position}"
    ),
)

#: What billing exports are refused for (``cssim.data.reading``, ``cssim.data.calibrate``).
DATA_MESSAGES = (
    N_("input should be a valid string, unable to parse raw data as a unicode string"),
    N_("the table has no rows"),
    N_("the file is empty"),
    N_("this is a folder, not a CSV file"),
    N_("this is not a readable CSV table: {detail}"),
    N_("only {n} month(s) of data: calibration needs at least 3"),
    N_("no customer is active before the last month"),
    N_("{what} is empty in {rows}"),
    N_("{what} is not a number in {rows}"),
    N_("{what} is negative in {rows}"),
    N_("{what} must be a whole number in {rows}"),
    N_(
        "month is not a month (write YYYY-MM, such as 2024-03, or a date such as 2024-03-01) in {rows}"
    ),
    N_("period is more than {limit} months in {rows}"),
    N_("{what} is more than {limit} customers in {rows}"),
    N_(
        "the months span {span} months, from {first} (row {first_row}) to {last} (row {last_row}); calibration reads at most {limit} months ({years} years): check the {column} column for a mistyped year"
    ),
    N_("the same customer and month appear more than once: {rows}"),
    N_("the same cohort and period appear more than once: {rows}"),
    N_("cohort {cohort} has no period 0 (its size) ({rows})"),
    N_("cohort {cohort} skips a period ({rows})"),
    N_("active customers of cohort {cohort} rise again (a cohort can only shrink) in {rows}"),
    N_(
        "missing column {columns}: an MRR table has columns customer, month, mrr and a cohort table has cohort, period, active (columns found: {found})"
    ),
    N_(
        "missing columns {columns}: an MRR table has columns customer, month, mrr and a cohort table has cohort, period, active (columns found: {found})"
    ),
    N_("a backtest needs a per-customer MRR table (customer, month, mrr)"),
    N_("holdout must be a whole number of months >= 1, got {holdout}"),
    N_(
        "holdout {holdout} leaves {n} month(s) to fit on of {total}; at least 7 are needed (use a holdout of at most {most})"
    ),
    # the reading layer (cssim.data.intake and the format readers)
    N_(
        "{what} includes tax and the file has no tax column nor an amount before tax: pass tax_included with the tax rate, such as 0.10, to take the tax out"
    ),
    N_(
        "missing column {columns}: the closest format, format={format}, needs {needs}; columns are recognised by names such as {examples} (columns found: {found})"
    ),
    N_(
        "missing columns {columns}: the closest format, format={format}, needs {needs}; columns are recognised by names such as {examples} (columns found: {found})"
    ),
    N_(
        "format={format} does not take a {column} column; pass another format= or remove the column"
    ),
    N_(
        "missing columns: the closest format, format=wide, needs a customer column and at least two columns named by months, such as 2024-01 or 2024年1月 (columns found: {found})"
    ),
    N_(
        "the file reads both as format=invoices (invoice lines) and as format=subscriptions (subscription periods): pass format= with one of them"
    ),
    N_("format must be one of {allowed}, got {format}"),
    N_("fx has no rate for {codes} ({rows}): give the rate of each currency other than {currency}"),
    N_(
        "currency={currency} was given but the amounts are in {found} ({column}): pass fx with the rate of {found} in {currency}, or leave currency out"
    ),
    N_(
        "currency={currency} was given but the amounts are in {found}: pass fx with the rate of {found} in {currency}, or leave currency out"
    ),
    N_(
        "the amounts are in {n} currencies ({rows}); cssim fits one currency: filter the file, or pass fx with the rate of each other currency in the scenario currency"
    ),
    N_(
        "{what} has a comma that is not a thousands separator in {rows}: a comma may only separate thousands (1,234,567); write a decimal with a point (1234.56)"
    ),
    N_(
        "{what} is not a month (write 2024-03, 2024/3, 2024年3月, 令和6年3月 or a date such as 2024-03-31) in {rows}"
    ),
    N_(
        "{what} is not a date (write 2024-03-31, 2024/3/31, 2024年3月31日, 20240331, R6/3/31 or 令和6年3月31日) in {rows}"
    ),
    N_(
        "{what} writes day and month in an order that cannot be told (01/02/2024 is 1 February or 2 January): write the year first, such as 2024-02-01, or pass dayfirst= in {rows}"
    ),
    N_(
        "{what} names a date outside its era (令和 began on 2019-05-01; 平成 ran from 1989-01-08 to 2019-04-30; 昭和 from 1926-12-25 to 1989-01-07) in {rows}"
    ),
    N_(
        "{what} is not a billing interval (write month, year, week, day, 月, 年 or 3ヶ月) in {rows}"
    ),
    N_(
        "{what} is not a status cssim knows (active, past_due, non_renewing, trialing, incomplete, paused, canceled, unpaid, expired, 有効, 解約, トライアル) in {rows}"
    ),
    N_(
        "{what} is not an invoice status cssim knows (paid, open, void, draft, uncollectible, 支払済, 未払, 取消) in {rows}"
    ),
    N_(
        "{what} is not a line type cssim knows (subscription, recurring, one_time, invoiceitem, usage, tax, 定期, 単発) in {rows}"
    ),
    N_("{what} is not a currency code (three letters, such as JPY or USD) in {rows}"),
    N_("{what} is not true or false in {rows}"),
    N_("{what} is empty for subscriptions that have ended in {rows}"),
    N_("{what} is before the start in {rows}"),
    N_(
        "{what} is not a whole number of months (about 30, 91, 182 or 365 days) and the line is not marked prorated in {rows}"
    ),
    N_(
        "no service period and no billing interval: cssim cannot tell a monthly invoice from an annual one; add the service period (start and end columns) or an interval column such as 請求周期, or pass interval='month'"
    ),
    N_("credits make the MRR of a customer negative at a month end: {rows}"),
    N_("dayfirst must be True or False, got {value}"),
    N_("as_of {value} is not a date: write it like 2026-01-31"),
    N_("currency {value} is not a three-letter code such as JPY or USD"),
    N_(
        "fx {key}: {rate} is not a rate: give a three-letter code and a positive number, the value of one unit in the scenario currency"
    ),
    N_("tax_included must be a tax rate between 0 and 1, such as 0.10, got {value}"),
    N_("interval {value} is not a billing interval: write month, year, 3 months, 月 or 年"),
    N_("time zone {value} is unknown: give an IANA name such as Asia/Tokyo or UTC"),
    N_(
        "this is an Excel workbook (.xlsx) or another ZIP archive, not CSV text: open it in Excel and save it as CSV (UTF-8 or CP932)"
    ),
    N_(
        "this is an Excel workbook (.xls), not CSV text: open it in Excel and save it as CSV (UTF-8 or CP932)"
    ),
    N_("the file is UTF-32 text: save it as UTF-8 or CP932"),
    N_("this is not a text file (it holds NUL bytes): save the table as CSV (UTF-8 or CP932)"),
    N_(
        "the file is neither UTF-8 nor CP932 (Shift_JIS) text (byte {byte} is not valid in either): save it as UTF-8, or pass encoding= naming its encoding"
    ),
    N_(
        "the file reads as CP932 (Shift_JIS) only as half-width kana where Japanese text has kanji, so it is probably EUC-JP: save it as UTF-8 or CP932, or pass encoding='euc_jp'"
    ),
    N_("the file is not {encoding} text (byte {byte} cannot be read)"),
    N_(
        "this is not a text file (it holds control characters): save the table as CSV (UTF-8 or CP932)"
    ),
    N_("encoding {encoding} is not an encoding Python knows"),
    N_("the same customer is on more than one row: {rows}"),
    N_("the same subscription and month appear more than once: {rows}"),
    N_("the month columns repeat a month: {names}"),
    N_(
        "{what} is a total that does not equal the sum of the month columns in {rows}: a total column is left out only when it equals the sum; delete or correct it"
    ),
    N_(
        "row {row} ({name}) is a total that does not equal the sum of the rows above it in {months}: a total row is left out only when it equals the sum; delete or correct it"
    ),
    N_(
        "the month columns skip {months}: a missing month would read as every customer paying nothing; add the column"
    ),
    N_("no customer has MRR in a complete month up to {date}"),
    N_("the file is UTF-8 text up to byte {byte}, which is not UTF-8: save it again as UTF-8"),
    N_(
        "reading stopped at row {row} after {limit} cells that cannot be read; the rest of the file was not checked"
    ),
    N_(
        "the average MRR of the customers active in the last month is {amount}, more than the {limit} a scenario's money may be: check the mrr column for a mistyped amount or one in the wrong unit"
    ),
    N_(
        "the average first MRR of new customers is {amount}, more than the {limit} a scenario's money may be: check the mrr column for a mistyped amount or one in the wrong unit"
    ),
    N_(
        "{what} is above 1 in {rows}: a usage share runs from 0 to 1; for a count give --usage-max, the count that means full use"
    ),
    N_(
        "states {text}: write the states from the least used up, each but the last with the share it ends below, such as dormant<0.2,at risk<0.6,healthy"
    ),
    N_(
        "states {text}: the shares must rise strictly between 0 and 1, such as dormant<0.2,at risk<0.6,healthy"
    ),
    N_("states {text}: each state needs its own name"),
    N_("usage_max must be a positive number, got {value}"),
    N_(
        "a usage file needs the columns customer, month and usage (a share from 0 to 1, or a count with --usage-max) or state; missing: {missing}; the header is {header}"
    ),
    N_("the usage file has no rows"),
    N_(
        "a customer has two rows for one month ({rows}; {n} rows in all): a usage share cannot be added up; keep one row per customer and month"
    ),
    N_("{what} names states not listed ({unknown}); listed: {listed}"),
    N_("the usage file names only one state; at least 2 are needed"),
    N_("usage states need a per-customer billing table, not a cohort table"),
    # calibration by size band (cssim.data.size_bands)
    N_("{n} size bands: give 2 to {most}"),
    N_(
        "the customers' first MRRs do not split into {n} bands (too few distinct amounts): give fewer bands"
    ),
    N_(
        "size band {k} of {n} has {customers} customers ({active} active in the last month); each band needs at least {least} and some active at the end: give fewer bands"
    ),
    N_("size bands need a per-customer billing table, not a cohort table"),
    N_("size bands and usage states together are not supported: choose one"),
    N_("size bands and --backtest together are not supported: backtest without bands"),
    N_(
        "no customer and month of the usage file is a paying month in {source}: check that both files name customers the same way and cover the same months"
    ),
    N_(
        "the usage file has no state for the last billing month ({month}): the start shares need the states of today's customers"
    ),
    N_("no customer has a state in two paying months in a row: the transitions cannot be counted"),
)

#: Parts of messages that are values of a template above (``0 to 4`` in ``segment indices: {allowed}``).
NESTED_MESSAGES = (
    N_("{first} to {last}"),
    N_("none: there are no segments"),
    N_("more than 1e300"),
)

#: Advice the model appends in parentheses (``cssim.model.errors.hint_for`` and friends).
HINTS = (
    N_("YAML reads a number written like 1e3 as text: write 1000 or 1.0e+3"),
    N_(
        "YAML reads yes/no/on/off/true/false as booleans: write a number, or quote the word to make it text"
    ),
    N_("YAML reads an unquoted date as a date: put it in quotes to make it text"),
    N_("put it in quotes to make it text"),
    N_("write {n}"),
    N_("or write a [low, high] 90% interval"),
    N_(
        "a lever's monthly cost in the scenario's currency is between {low} and {high}; leave out the cost of a lever that is free"
    ),
    N_(
        "money in the scenario's currency is at most {limit}, more than any business takes in a year"
    ),
)

#: Placeholders whose values are themselves messages (``0 to 4``, ``more than 1e300``).
_NESTED = {"allowed", "customers", "money"}


@functools.cache
def _patterns(templates: tuple[str, ...] = MESSAGES) -> list[tuple[re.Pattern, re.Pattern, str]]:
    out = []
    for template in sorted(templates, key=len, reverse=True):
        parts = re.split(r"\{(\w+)\}", template)
        rx, named = "", set()
        for i, part in enumerate(parts):
            if i % 2 == 0:
                rx += re.escape(part)
            else:  # a value named twice is the same text both times
                rx += f"(?P={part})" if part in named else f"(?P<{part}>.+?)"
                named.add(part)
        strict = re.compile(rf"^{rx}(?P<_rest>)$", re.S)
        out.append((strict, re.compile(rf"^{rx}(?P<_rest> \(.*\))$", re.S), template))
    return out


@functools.cache
def _hint_patterns() -> list[tuple[re.Pattern, re.Pattern, str]]:
    return _patterns(HINTS)


def translate_message(message: str, lang: str | None = None) -> str:
    """The model's English ``message`` in ``lang``, by its template; unchanged when none matches.

    A trailing hint in parentheses (``(YAML reads ...)``) is translated by the :data:`HINTS` templates
    (kept as written when none matches); values that are messages themselves (``0 to 4``) too.
    """
    _ = Translator(lang or "en")
    if _.lang == "en":
        return message
    found = _match_with_hint(message) or _match(
        message, _patterns(MESSAGES + DATA_MESSAGES), hints=True
    )
    if found is None:
        return message
    template, values, rest = found
    for k in _NESTED & values.keys():
        nested = _match(values[k], _patterns(NESTED_MESSAGES))
        values[k] = _(nested[0], **nested[1]) if nested else values[k]
    if "rule" in values:  # a field's own message, quoted inside another (joint draws out of range)
        nested = _match(values["rule"], _patterns(MESSAGES))
        values["rule"] = _(nested[0], **nested[1]) if nested else values["rule"]
    if "rows" in values:
        values["rows"] = rows_text(values["rows"], lang)
    text = _(template, **values)
    if rest:
        hint = _match(rest.strip()[1:-1], _hint_patterns())
        rest = f"({_(hint[0], **hint[1])})" if hint else rest
    return text + rest


_ROW_LIST = re.compile(r"\brows (\d+(?:(?:, | and )\d+)*)")
_ROW = re.compile(r"\brow (\d+)")
_MORE_ROWS = re.compile(r" and (\d+) more rows?$")
_MORE = re.compile(r" and (\d+) more$")


def rows_text(rows: str, lang: str | None = None) -> str:
    """``row 3 ('abc'), row 4 ('x') and 2 more rows`` (how :mod:`cssim.data.reading` names rows) in ``lang``."""
    _ = Translator(lang or "en")
    if _.lang == "en":
        return rows
    more = _MORE_ROWS.search(rows) or _MORE.search(rows)
    if more:
        rows = rows[: more.start()]
    text = _ROW_LIST.sub(
        lambda m: _("rows {rows}", rows=re.sub(r", | and ", "、", m.group(1))), rows
    )
    text = _ROW.sub(lambda m: _("row {row}", row=m.group(1)), text)
    text = re.sub(r", (?=\d+行目)|; ", "、", text)
    if more:
        text += _(", and {n} more", n=more.group(1))
    return text


def _match_with_hint(message: str) -> tuple[str, dict[str, str], str] | None:
    """``(template, values, trailing hint)`` when ``message`` ends in `` (hint)``, one of the
    :data:`HINTS`, and the rest is a template: the hint is split off first, so that a template ending
    in a value (``one of {kinds}``) never swallows it."""
    if not message.endswith(")"):
        return None
    i = message.rfind(" (")
    while i > 0:
        if _match(message[i + 2 : -1], _hint_patterns()):
            found = _match(message[:i], _patterns(MESSAGES + DATA_MESSAGES))
            return (found[0], found[1], message[i:]) if found else None
        i = message.rfind(" (", 0, i)
    return None


def _match(message: str, patterns, hints: bool = False) -> tuple[str, dict[str, str], str] | None:
    """``(template, values, trailing hint)`` of the template ``message`` fits, else None.

    A template that takes the whole message wins; with ``hints``, one that leaves a trailing
    ``(...)`` is taken only when that text is one of the :data:`HINTS`.
    """
    partial = None
    for strict, with_hint, template in patterns:
        m = strict.match(message)
        if m is not None:
            return template, {k: v for k, v in m.groupdict().items() if k != "_rest"}, ""
        m = with_hint.match(message) if hints and partial is None else None
        if m is not None and _match(m.group("_rest").strip()[1:-1], _hint_patterns()):
            values = {k: v for k, v in m.groupdict().items() if k != "_rest"}
            partial = template, values, m.group("_rest")
    return partial


def problem_text(problem: Problem, lang: str | None = None) -> str:
    """One problem: ``path (line 3): 1.5 is not allowed: <what is allowed>``, in ``lang``."""
    _ = Translator(lang or "en")
    where = problem.path or _("(document)")
    if problem.line is not None:
        where = _("{where} (line {line})", where=where, line=problem.line)
    message = translate_message(problem.message, lang)
    if problem.value is ...:
        return _("{where}: {message}", where=where, message=message)
    return _(
        "{where}: {value} is not allowed: {message}",
        where=where,
        value=_show(problem.value),
        message=message,
    )


def scenario_error_text(error: ScenarioError, lang: str | None = None) -> str:
    """The whole error as the CLI prints it: the source, then one line per problem."""
    _ = Translator(lang or "en")
    if _.lang == "en":
        return str(error)
    if type(error)._format is not ScenarioError._format:  # messages alone (billing data: rows)
        if len(error.problems) == 1:
            return f"{error.source}: {translate_message(error.problems[0].message, lang)}"
        lines = [_("{source}: {n} problems", source=error.source, n=len(error.problems))]
        lines += [f"  {translate_message(p.message, lang)}" for p in error.problems]
        return "\n".join(lines)
    if len(error.problems) == 1:
        return f"{error.source}: {problem_text(error.problems[0], lang)}"
    lines = [_("{source}: {n} problems", source=error.source, n=len(error.problems))]
    lines += [f"  {problem_text(p, lang)}" for p in error.problems]
    return "\n".join(lines)
