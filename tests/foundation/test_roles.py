import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.roles import ROLE_PERMISSIONS, Role, group_name, has_role


@pytest.mark.django_db
def test_each_role_group_exists_with_exactly_its_permissions():
    for role, perms in ROLE_PERMISSIONS.items():
        group = Group.objects.get(name=group_name(role))
        granted = {
            f"{p.content_type.app_label}.{p.codename}"
            for p in group.permissions.select_related("content_type")
        }
        assert granted == set(perms), role


@pytest.mark.django_db
def test_staff_cannot_change_clinical_data_by_permission():
    group = Group.objects.get(name=group_name(Role.STAFF))
    assert not group.permissions.exclude(codename__startswith="view_").exists()


@pytest.mark.django_db
def test_has_role_is_true_only_for_the_users_role_and_superusers(make_user):
    physician = make_user(Role.PHYSICIAN)
    admin = make_user(None, superuser=True)
    assert has_role(physician, Role.PHYSICIAN)
    assert not has_role(physician, Role.RADIOLOGIST, Role.STAFF)
    assert has_role(admin, Role.RADIOLOGIST)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "shown", "hidden"),
    [
        (Role.PHYSICIAN, "card-physician", ["card-radiologist", "card-staff"]),
        (Role.RADIOLOGIST, "card-radiologist", ["card-physician", "card-staff"]),
        (Role.STAFF, "card-staff", ["card-physician", "card-radiologist"]),
    ],
)
def test_home_page_shows_only_the_users_role(client, make_user, role, shown, hidden):
    client.force_login(make_user(role))
    content = client.get(reverse("home")).content.decode()
    assert f'id="{shown}"' in content
    for other in hidden:
        assert f'id="{other}"' not in content


@pytest.mark.django_db
def test_login_with_demo_credentials_reaches_home(client):
    from accounts.demo import DEMO_USERS, seed_demo_users

    seed_demo_users()
    username, *_rest, password = DEMO_USERS[0]
    response = client.post(
        reverse("login"), {"username": username, "password": password}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("home")
    assert response.context["user"].username == username


@pytest.mark.django_db
def test_logout_ends_the_session(client, physician):
    client.force_login(physician)
    client.post(reverse("logout"))
    assert client.get(reverse("home")).status_code == 302
