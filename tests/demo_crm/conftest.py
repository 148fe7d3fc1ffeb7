from tests.demo_crm.fixtures import demo_portal  # noqa: F401
