"""The `tipro` command: companies, users and clear errors."""

from sqlalchemy import select

from tipro.cli import cli
from tipro.models import Company, User


def invoke(runner, *args):
    return runner.invoke(cli, list(args), catch_exceptions=False)


def test_company_and_user_create(runner, db):
    result = invoke(runner, "company", "create", "Fjord Elektro AS")
    assert result.exit_code == 0, result.output
    assert "Firma opprettet: Fjord Elektro AS" in result.output
    result = invoke(
        runner,
        "user",
        "create",
        "--company",
        "Fjord Elektro AS",
        "--email",
        "Per@Fjord.no",
        "--role",
        "admin",
        "--password",
        "et-godt-passord",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "per@fjord.no"))
    company = db.session.scalar(select(Company).where(Company.name == "Fjord Elektro AS"))
    assert user.role == "admin" and user.company_id == company.id


def test_generated_password_is_printed(runner, db):
    invoke(runner, "company", "create", "Vest Rør AS")
    result = invoke(runner, "user", "create", "--company", "Vest Rør AS", "--email", "a@vest.no")
    assert result.exit_code == 0
    assert "Passord: " in result.output


def test_errors_exit_non_zero_with_message(runner, db):
    invoke(runner, "company", "create", "Nord Bygg AS")
    cases = [
        (["company", "create", "Nord Bygg AS"], "finnes allerede"),
        (["company", "create", "  "], "Firmanavn mangler"),
        (["user", "create", "--company", "Finnes Ikke", "--email", "x@y.no"], "Fant ikke firmaet"),
        (
            ["user", "create", "--company", "Nord Bygg AS", "--email", "x@y.no", "--role", "sjef"],
            "Ugyldig rolle",
        ),
        (
            ["user", "create", "--company", "Nord Bygg AS", "--email", "ikke-epost"],
            "Ugyldig e-post",
        ),
        (
            [
                "user",
                "create",
                "--company",
                "Nord Bygg AS",
                "--email",
                "k@y.no",
                "--password",
                "kort",
            ],
            "minst 10 tegn",
        ),
    ]
    for args, message in cases:
        result = runner.invoke(cli, args)
        assert result.exit_code == 1, (args, result.output)
        assert message in result.output, (args, result.output)
    invoke(runner, "user", "create", "--company", "Nord Bygg AS", "--email", "dup@y.no")
    result = runner.invoke(
        cli, ["user", "create", "--company", "Nord Bygg AS", "--email", "DUP@y.no"]
    )
    assert result.exit_code == 1 and "kan ikke brukes" in result.output


def test_set_password(runner, db, make_user):
    user = make_user()
    result = invoke(
        runner, "user", "set-password", "--email", user.email, "--password", "nytt-passord-123"
    )
    assert result.exit_code == 0
    from werkzeug.security import check_password_hash

    db.session.refresh(user)
    assert check_password_hash(user.password_hash, "nytt-passord-123")


def test_help_lists_commands(runner):
    result = runner.invoke(cli, ["--help"])
    for command in ("run", "worker", "db", "company", "user"):
        assert f"  {command}" in result.output


def test_with_company_runs_the_command_in_that_companys_scope(runner, db, make_company):
    import click
    from flask.cli import with_appcontext

    from tipro.cli import with_company
    from tipro.tenancy import current_company_id

    company = make_company("Scope Test AS")
    seen = {}

    @click.command("probe")
    @click.option("--flag", default="x")
    @with_appcontext
    @with_company
    def probe(company, flag):
        seen.update(company=company.id, scope=current_company_id(), flag=flag)

    result = runner.invoke(probe, ["--company", "scope test as", "--flag", "y"])
    assert result.exit_code == 0, result.output
    assert seen == {"company": company.id, "scope": company.id, "flag": "y"}
    assert current_company_id() is None  # left again afterwards
    result = runner.invoke(probe, ["--company", "Finnes Ikke"])
    assert result.exit_code == 1 and "Fant ikke firmaet" in result.output


def test_email_is_unique_across_companies_even_inside_a_scope(runner, db, make_user):
    other = make_user(email="opptatt@annet.no")
    invoke(runner, "company", "create", "Ny Bygg AS")
    result = runner.invoke(
        cli, ["user", "create", "--company", "Ny Bygg AS", "--email", other.email]
    )
    assert result.exit_code == 1 and "kan ikke brukes" in result.output
