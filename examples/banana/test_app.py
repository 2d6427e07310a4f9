"""Unit tests of the banana app: run by buildspec.yml (`python3 -m unittest`) before the image build."""

import unittest

from app import database_host, payload


class BananaTest(unittest.TestCase):
    def test_payload_lists_bananas_and_the_environment(self) -> None:
        body = payload({"SPRING_PROFILES_ACTIVE": "dev"})
        self.assertIn("Cavendish", body["bananas"])
        self.assertEqual(body["environment"], "dev")

    def test_database_host_never_shows_credentials(self) -> None:
        url = "jdbc:mysql://user:secret@db.example:3306/banana"
        self.assertEqual(database_host(url), "db.example")
        self.assertIsNone(database_host(None))


if __name__ == "__main__":
    unittest.main()
