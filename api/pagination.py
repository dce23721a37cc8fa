"""Page-number pagination with a bounded page size, for every list of the API."""

from rest_framework.pagination import PageNumberPagination

PAGE_SIZE = 100
MAX_PAGE_SIZE = 500


class Pages(PageNumberPagination):
    page_size = PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
