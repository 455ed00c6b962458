from interop.checks import check_cds_hooks_settings


def test_short_cds_hooks_token_is_a_warning(settings):
    settings.VPSELECT_CDS_HOOKS_TOKEN = "short"
    assert [problem.id for problem in check_cds_hooks_settings()] == ["interop.W001"]


def test_long_token_and_https_public_url_pass(settings):
    settings.VPSELECT_CDS_HOOKS_TOKEN = "x" * 64
    settings.VPSELECT_PUBLIC_URL = "https://vpselect.example.org"
    assert check_cds_hooks_settings() == []


def test_public_url_without_scheme_is_an_error(settings):
    settings.VPSELECT_PUBLIC_URL = "vpselect.example.org"
    assert [problem.id for problem in check_cds_hooks_settings()] == ["interop.E001"]


def test_a_clients_file_without_keys_fails_the_system_check(settings, tmp_path):
    from interop.checks import check_cds_clients_file

    path = tmp_path / "clients.json"
    path.write_text('{"clients": [{"iss": "https://ehr.example.org"}]}')
    settings.VPSELECT_CDS_CLIENTS = str(path)
    problems = check_cds_clients_file()
    assert [problem.id for problem in problems] == ["interop.E002"]
    assert "jwks" in problems[0].msg


def test_a_missing_clients_file_fails_the_system_check(settings, tmp_path):
    from interop.checks import check_cds_clients_file

    settings.VPSELECT_CDS_CLIENTS = str(tmp_path / "absent.json")
    assert [problem.id for problem in check_cds_clients_file()] == ["interop.E002"]
