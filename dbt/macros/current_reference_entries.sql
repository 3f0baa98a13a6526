{#- The entries of one reference directory as they stand today: the latest version of each code,
    kept only when that version is valid now. Same rule as warehouse/reference/queries.py: a closed
    latest version means the entry is gone, even if an older version never got a valid_to. -#}
{% macro current_reference_entries(directory) -%}
    select latest.*
    from (
        select distinct on (entry_code) *
        from {{ ref('stg_ops__reference_entries') }}
        where directory_code = '{{ directory }}'
        order by entry_code, entry_version desc
    ) as latest
    where latest.valid_from <= current_date
      and (latest.valid_to is null or latest.valid_to > current_date)
{%- endmacro %}
