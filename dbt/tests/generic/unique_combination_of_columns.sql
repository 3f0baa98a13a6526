{#- Fails with one row per combination of the given columns that occurs more than once
    (dbt_utils has the same test; packages cannot be installed offline). -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
    {%- set columns = combination_of_columns | join(', ') %}
    select {{ columns }}, count(*) as occurrences
    from {{ model }}
    group by {{ columns }}
    having count(*) > 1
{% endtest %}
